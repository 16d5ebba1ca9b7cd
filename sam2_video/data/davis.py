"""DAVIS layout -> `VideoIndex`: ``JPEGImages/<video>/<frame>.jpg`` + ``Annotations/<video>/<frame>.png``.

Annotation PNGs are palettised (mode P, or grey L): every non-zero value is one object, its track id
(255 is DAVIS' void label and ignored). All objects get category 1 (``object``) unless
``category_names`` names more. Frame order = the integer file stem (DAVIS, and the official SAM2
trainer, use integer names); non-integer stems are ordered by name. Resolution subfolders
(``JPEGImages/480p/<video>``) are used when ``resolution`` is given or when exactly one exists.
Object presence is read from every PNG once (a histogram per frame) and cached per split.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from loguru import logger
from PIL import Image

from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.data.mask_sources import PaletteMask, read_palette_png
from sam2_video.errors import DatasetError

IMAGE_EXTS = (".jpg", ".jpeg", ".png")
VOID = 255
_CACHE: dict[tuple, VideoIndex] = {}


def davis_palette() -> list[int]:
    """The 256-colour PASCAL VOC / DAVIS palette as a flat [r, g, b, ...] list."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def _resolve_dirs(root: Path, resolution: str | None) -> tuple[Path, Path]:
    img, ann = root / "JPEGImages", root / "Annotations"
    if not img.is_dir() or not ann.is_dir():
        raise DatasetError(
            f"{root}: not a DAVIS root (needs JPEGImages/ and Annotations/); set data.root to the folder holding them"
        )
    if resolution is None:
        subs = [p.name for p in img.iterdir() if p.is_dir() and (ann / p.name).is_dir() and p.name.endswith("p")]
        resolution = subs[0] if len(subs) == 1 and subs[0][:-1].isdigit() else None
    if resolution:
        img, ann = img / resolution, ann / resolution
        if not img.is_dir():
            raise DatasetError(f"{img}: resolution folder not found; set data.resolution to one that exists")
    return img, ann


def read_video_list(list_file: Path) -> list[str]:
    """Video names from an ImageSets-style list file (one per line, blank lines and #comments ignored)."""
    if not list_file.is_file():
        raise DatasetError(f"{list_file}: video list not found; set data.train_path/data.val_path to a list file")
    names = [ln.strip() for ln in list_file.read_text().splitlines()]
    return [n for n in names if n and not n.startswith("#")]


def _frame_order(stems: list[str]) -> list[int]:
    return [int(s) for s in stems] if all(s.isdigit() for s in stems) else list(range(len(stems)))


def load_davis_index(
    root: str | os.PathLike,
    videos: list[str] | str | os.PathLike | None = None,
    *,
    resolution: str | None = None,
    category_names: dict[int, str] | None = None,
) -> VideoIndex:
    """Index the DAVIS folder ``root``; ``videos`` = names, a list file, or None for every video."""
    root = Path(root)
    img_dir, ann_dir = _resolve_dirs(root, resolution)
    source = str(videos) if isinstance(videos, (str, os.PathLike)) else str(root)
    if isinstance(videos, (str, os.PathLike)):
        names = read_video_list(Path(videos))
    elif videos is None:
        names = sorted(p.name for p in img_dir.iterdir() if p.is_dir())
    else:
        names = list(videos)
    stamp = tuple((ann_dir / n).stat().st_mtime_ns if (ann_dir / n).is_dir() else 0 for n in names)
    key = (str(ann_dir.resolve()), source, tuple(names), tuple(sorted((category_names or {}).items())), stamp)
    if key in _CACHE:
        return _CACHE[key]
    records = [_load_video(img_dir, ann_dir, name, source) for name in names]
    cats = dict(category_names) if category_names else {1: "object"}
    default_cat = min(cats)
    for rec in records:
        rec.categories = {tid: (tid if tid in cats else default_cat) for tid in rec.categories}
    index = VideoIndex(videos=records, categories=cats, source=source)
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = index
    logger.info(f"Loaded DAVIS {source}: {len(records)} videos, {index.num_frames} frames")
    return index


def _load_video(img_dir: Path, ann_dir: Path, name: str, source: str) -> VideoRecord:
    vdir = img_dir / name
    if not vdir.is_dir():
        raise DatasetError(f"{source}: video {name!r} has no folder {vdir}; fix the list file or add the frames")
    files = sorted(p for p in vdir.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    if not files:
        raise DatasetError(f"{vdir}: no frames (.jpg/.png); remove {name!r} from the list or add its frames")
    orders = _frame_order([p.stem for p in files])
    frames: list[FrameRecord] = []
    tracks: set[int] = set()
    for path, order in sorted(zip(files, orders), key=lambda x: x[1]):
        png = ann_dir / name / f"{path.stem}.png"
        if not png.is_file():
            raise DatasetError(
                f"{source}: frame {path} has no annotation {png}; add the PNG (an all-zero PNG if no object is visible)"
            )
        with Image.open(path) as im:
            w, h = im.size
        labels = read_palette_png(png)
        if labels.shape != (h, w):
            raise DatasetError(
                f"{png}: annotation is {labels.shape[1]}x{labels.shape[0]} but the frame is {w}x{h}; "
                "masks must be stored at the frame resolution"
            )
        counts = np.bincount(labels.ravel(), minlength=256)
        ids = [int(v) for v in np.flatnonzero(counts) if v not in (0, VOID)]
        tracks.update(ids)
        frames.append(FrameRecord(path, order, f"{name}/{path.stem}", h, w, {v: PaletteMask(png, v) for v in ids}))
    return VideoRecord(video_id=name, frames=frames, categories={t: 1 for t in sorted(tracks)})
