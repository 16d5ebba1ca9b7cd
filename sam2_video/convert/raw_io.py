"""Reading raw dataset trees: folder discovery, frame numbers and label images."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

from sam2_video.data.folders import FRAME_SUFFIXES, natural_key  # noqa: F401  (one natural sort, re-exported)
from sam2_video.errors import DatasetError

IMAGE_SUFFIXES = FRAME_SUFFIXES  # the one list (sam2_video.data.folders)
_DIGITS = re.compile(r"(\d+)")


def last_number(stem: str) -> int | None:
    """The last run of digits in ``stem`` (``frame012`` -> 12), or None."""
    found = _DIGITS.findall(stem)
    return int(found[-1]) if found else None


def require_dir(path: Path, fix: str) -> Path:
    """Return ``path`` if it is a folder, else raise a one-line DatasetError."""
    if not path.is_dir():
        raise DatasetError(f"missing folder {path}: {fix}")
    return path


def require_file(path: Path, fix: str) -> Path:
    """Return ``path`` if it is a file, else raise a one-line DatasetError."""
    if not path.is_file():
        raise DatasetError(f"missing file {path}: {fix}")
    return path


def find_dirs(root: Path, pattern: str, max_depth: int = 2) -> list[Path]:
    """Folders whose name fully matches ``pattern``, at the shallowest depth <= ``max_depth``.

    Sorted naturally by name; two matches with the same name are an error.
    """
    require_dir(root, "check --input-dir")
    regex = re.compile(pattern)
    level = [root]
    for _ in range(max_depth):
        children = sorted(
            (c for d in level for c in d.iterdir() if c.is_dir() and not c.name.startswith(".")),
            key=lambda p: natural_key(str(p)),
        )
        found = [c for c in children if regex.fullmatch(c.name)]
        if found:
            by_name: dict[str, Path] = {}
            for path in found:
                if path.name in by_name:
                    raise DatasetError(
                        f"two folders named {path.name}: {by_name[path.name]} and {path}; "
                        "convert them separately or rename one"
                    )
                by_name[path.name] = path
            return sorted(found, key=lambda p: natural_key(p.name))
        level = children
    return []


def list_images(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[Path]:
    """Image files directly inside ``folder`` (hidden files skipped), naturally sorted."""
    return sorted(
        (p for p in folder.iterdir()
         if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes),
        key=lambda p: natural_key(p.name),
    )


def image_size(path: Path) -> tuple[int, int]:
    """(height, width) of an image file, read from its header."""
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read image {path} ({exc}): replace the file") from exc
    return height, width


def _open_array(path: Path) -> tuple[np.ndarray, str]:
    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode in ("RGBA", "LA"):
                img = img.convert(mode[:-1])  # drop alpha
            return np.asarray(img), mode
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read label {path} ({exc}): replace the file") from exc


def read_grey(path: Path) -> np.ndarray:
    """A single-channel label as an (H, W) integer array.

    Palettised PNGs give their palette indices; RGB(A) labels must have equal channels.
    """
    arr, mode = _open_array(path)
    if arr.ndim == 3:
        if not (np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2])):
            raise DatasetError(
                f"label {path} is a colour image ({mode}) but a greyscale one is expected: "
                "save it as single-channel PNG"
            )
        arr = arr[..., 0]
    return np.asarray(arr)


def read_first_channel(path: Path) -> np.ndarray:
    """Channel 0 (R in RGB order) of a label, or the label itself if it is single-channel."""
    arr, _ = _open_array(path)
    return np.asarray(arr[..., 0] if arr.ndim == 3 else arr)


def _read_converted(path: Path, mode: str) -> np.ndarray:
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert(mode))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read label {path} ({exc}): replace the file") from exc


def read_rgb(path: Path) -> np.ndarray:
    """A colour-coded label as (H, W, 3) uint8 in RGB order (alpha dropped, palette expanded)."""
    return _read_converted(path, "RGB")


def read_luma(path: Path) -> np.ndarray:
    """An image converted to 8-bit luma (PIL ``L``), e.g. a JPEG-compressed binary mask."""
    return _read_converted(path, "L")


def left_frames(video_dir: Path, fix: str) -> list[Path]:
    """The numbered frames of an EndoVis video folder's ``left_frames`` (``fix``: what to do if it is missing)."""
    folder = require_dir(video_dir / "left_frames", fix)
    frames = list_images(folder, (".png", ".jpg", ".jpeg"))
    if not frames:
        raise DatasetError(f"no frames in {folder}: add the frameNNN.png files")
    for frame in frames:
        if last_number(frame.stem) is None:
            raise DatasetError(f"frame {frame} has no frame number: rename it to frameNNN.png")
    return frames


def pair_labels(frames: list[Path], label_dir: Path, suffixes: tuple[str, ...]) -> dict[Path, Path]:
    """Frame -> its label in ``label_dir`` (same stem); errors on a frame without label or a label without frame."""
    labels = {p.stem: p for p in list_images(label_dir, suffixes)}
    for frame in frames:
        if frame.stem not in labels:
            raise DatasetError(
                f"frame {frame} has no label {label_dir / frame.stem}{suffixes[0]}: add the label or remove the frame"
            )
    extra = sorted(set(labels) - {f.stem for f in frames}, key=natural_key)
    if extra:
        raise DatasetError(f"label {labels[extra[0]]} has no frame: add the frame or remove the label")
    return {f: labels[f.stem] for f in frames}
