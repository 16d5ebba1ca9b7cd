"""ONE reader per video-folder layout, shared by the training loaders (``data.davis``, ``data.polyp``)
and the converter (``convert.video_folder``), so both see the same videos, frames and order.

Rules (docs/data.md "Video folders"):

- frame order: the natural sort of the file stems (``frame9`` before ``frame10``, ``00009`` before
  ``00010``); a frame's order is its position 0..T-1 in that sort;
- each frame needs a label with the same stem in the label folder (``.png`` for DAVIS, ``.png`` /
  ``.jpg`` / ``.jpeg`` for polyp); labels without a frame are ignored;
- DAVIS: ``JPEGImages[/<res>]/<video>/`` + ``Annotations[/<res>]/<video>/``; ``<res>`` (``480p``)
  when given or when it is the only one; videos: a list file, names, or every folder (natural sort);
- polyp: ``<split>/images/<seq>/`` + ``<split>/masks/<seq>/``; sequences from the split's one
  ``*_list.txt``, else every folder of ``images/`` (natural sort).

How a label becomes objects (VOID 255 ignored, binary threshold) is ``sam2_video.data.mask_io``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable, NamedTuple, Optional, Sequence

from loguru import logger

from sam2_video.errors import DatasetError

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")  # THE list of frame image suffixes
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key ordering embedded integers numerically (``seq_2`` before ``seq_10``)."""
    return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(name))


def read_video_list(list_file: Path) -> list[str]:
    """Video names of a list file (one per line; blank lines and ``#`` comments ignored)."""
    if not list_file.is_file():
        raise DatasetError(f"{list_file}: video list not found; set data.train_path/data.val_path to a list file")
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{list_file}: video list unreadable ({exc.__class__.__name__}); write one name per line "
                           "as UTF-8 text") from None
    names = [n for n in (ln.strip() for ln in lines) if n and not n.startswith("#")]
    if not names:
        raise DatasetError(f"{list_file}: the video list is empty; list one sequence / video name per line")
    return names


class FolderFrame(NamedTuple):
    image: Path  # the frame
    label: Path  # its label (same stem)


@dataclass(frozen=True)
class FolderVideo:
    """A video folder: its name and frames, in natural-sort order of the stems (order = position)."""

    name: str
    frames: list[FolderFrame]


_INDEX_CACHE: dict = {}


def cached_index(key: Hashable, label_dirs: Sequence[Path], build: Callable[[], object]):
    """``build()`` once per ``key`` and modification time of the ``label_dirs`` (the last 8 kept):
    a loader reads every label file once per split, and again only when a label folder changes."""
    stamp = tuple(d.stat().st_mtime_ns if d.is_dir() else 0 for d in label_dirs)
    full = (key, stamp)
    if full not in _INDEX_CACHE:
        if len(_INDEX_CACHE) >= 8:
            _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
        _INDEX_CACHE[full] = build()
    return _INDEX_CACHE[full]


def _dir(path: Path, fix: str) -> Path:
    if not path.is_dir():
        raise DatasetError(f"{path}: folder not found; {fix}")
    return path


def _video_dir(parent: Path, name: str, fix: str) -> Path:
    path = parent / name
    if not path.is_dir():
        raise DatasetError(f"video {name!r} has no folder {path}; {fix}")
    return path


def ordered_images(folder: Path, suffixes: Sequence[str] = FRAME_SUFFIXES) -> list[Path]:
    """The images of ``folder`` in natural-sort order of their stems (DatasetError if none)."""
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes
                    and not p.name.startswith(".")), key=lambda p: natural_key(p.stem))
    if not files:
        raise DatasetError(f"{folder}: no frames ({', '.join(suffixes)}); add its frames or drop the video")
    return files


def pair_by_stem(images: list[Path], label_dir: Path, suffixes: Sequence[str]) -> list[FolderFrame]:
    """Each image with the label of the same stem in ``label_dir`` (DatasetError naming a missing one)."""
    labels = {p.stem: p for p in label_dir.iterdir() if p.suffix.lower() in suffixes} if label_dir.is_dir() else {}
    out = []
    for img in images:
        if img.stem not in labels:
            raise DatasetError(f"frame {img} has no label {label_dir / img.stem}{suffixes[0]}; add it (an all-zero "
                               "mask if no object is visible) or remove the frame")
        out.append(FolderFrame(img, labels[img.stem]))
    return out


def folder_names(folder: Path) -> list[str]:
    """Sub-folders of ``folder`` (hidden ones excluded), natural sort."""
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=natural_key)


def davis_dirs(root: Path, resolution: Optional[str] = None) -> tuple[Path, Path]:
    """(JPEGImages, Annotations) folders of a DAVIS root, with the resolution rule of the module doc."""
    img, ann = root / "JPEGImages", root / "Annotations"
    if not img.is_dir() or not ann.is_dir():
        raise DatasetError(f"{root}: not a DAVIS root (needs JPEGImages/ and Annotations/); point the path at "
                           "the folder holding them")
    if resolution is None:
        subs = [p.name for p in img.iterdir() if p.is_dir() and (ann / p.name).is_dir() and p.name.endswith("p")]
        resolution = subs[0] if len(subs) == 1 and subs[0][:-1].isdigit() else None
    if resolution:
        img, ann = img / resolution, ann / resolution
        _dir(img, "set the resolution to one that exists")
    return img, ann


def davis_videos(root: Path, names: Optional[Sequence[str]] = None,
                 resolution: Optional[str] = None) -> list[FolderVideo]:
    """The videos of a DAVIS root (``names``: those, in that order; None: every folder)."""
    img_dir, ann_dir = davis_dirs(Path(root), resolution)
    if names is None:
        names = folder_names(img_dir)
    return [FolderVideo(n, pair_by_stem(ordered_images(_video_dir(img_dir, n, "fix the video list or add the video")),
                                        ann_dir / n, (".png",))) for n in names]


def polyp_sequences(split_dir: Path, list_file: Optional[Path] = None) -> list[str]:
    """Sequence names of a polyp split folder (its one ``*_list.txt``, else every ``images/`` folder)."""
    if list_file is None:
        lists = sorted(split_dir.glob("*_list.txt"))
        if len(lists) > 1:
            raise DatasetError(f"{split_dir}: several list files {[p.name for p in lists]}; keep one or pass it")
        list_file = lists[0] if lists else None
    if list_file is not None:
        return read_video_list(list_file)
    names = folder_names(split_dir / "images")
    logger.info(f"{split_dir}: no *_list.txt, using all {len(names)} sequences in images/")
    return names


def polyp_videos(split_dir: Path, names: Optional[Sequence[str]] = None,
                 list_file: Optional[Path] = None) -> list[FolderVideo]:
    """The sequences of a polyp split folder (``names``: only those of the list that are named)."""
    split_dir = Path(split_dir)
    if not (split_dir / "images").is_dir() or not (split_dir / "masks").is_dir():
        raise DatasetError(f"{split_dir}: not a polyp split folder (needs images/ and masks/); point the path at "
                           "e.g. <root>/train or <root>/valid")
    seqs = polyp_sequences(split_dir, list_file)
    if names is not None:
        seqs = [s for s in seqs if s in set(names)]
    return [FolderVideo(s, pair_by_stem(ordered_images(_video_dir(split_dir / "images", s, "fix the list file")),
                                        split_dir / "masks" / s, FRAME_SUFFIXES)) for s in seqs]
