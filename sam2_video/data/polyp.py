"""Polyp layout -> `VideoIndex`: ``<split>/images/<seq>/<frame>.jpg`` + ``<split>/masks/<seq>/<frame>.(jpg|png)``.

Sequences come from ``<split>/<name>_list.txt`` (e.g. ``train/train_list.txt``, ``valid/val_list.txt``;
the only ``*_list.txt`` in the split folder is used), else every folder in ``images/``.
Masks are binary images thresholded at 128 (JPEG noise); each sequence has one object, track 1,
category 1 (``polyp``). Frames are ordered by the numbers in their names ("frame12" after "frame9").
Object presence is read from every mask once and cached per split.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from loguru import logger
from PIL import Image

from sam2_video.data.davis import IMAGE_EXTS, read_video_list
from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.data.mask_sources import BinaryImageMask, read_grey
from sam2_video.errors import DatasetError

THRESHOLD = 128
_CACHE: dict[tuple, VideoIndex] = {}


def natural_key(name: str) -> tuple:
    """Sort key that orders embedded integers numerically."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _sequence_names(split_dir: Path, list_file: Path | None) -> list[str]:
    if list_file is None:
        lists = sorted(split_dir.glob("*_list.txt"))
        if len(lists) > 1:
            raise DatasetError(
                f"{split_dir}: several list files {[p.name for p in lists]}; keep one or pass list_file"
            )
        list_file = lists[0] if lists else None
    if list_file is not None:
        return read_video_list(list_file)
    names = sorted((p.name for p in (split_dir / "images").iterdir() if p.is_dir()), key=natural_key)
    logger.info(f"{split_dir}: no *_list.txt, using all {len(names)} sequences in images/")
    return names


def load_polyp_index(
    split_dir: str | os.PathLike,
    *,
    list_file: str | os.PathLike | None = None,
    category_name: str = "polyp",
) -> VideoIndex:
    """Index one split folder (holding images/, masks/ and a list file) of the polyp layout."""
    split_dir = Path(split_dir)
    if not (split_dir / "images").is_dir() or not (split_dir / "masks").is_dir():
        raise DatasetError(
            f"{split_dir}: not a polyp split folder (needs images/ and masks/); set data.train_path/data.val_path "
            "to e.g. <root>/train and <root>/valid"
        )
    names = _sequence_names(split_dir, Path(list_file) if list_file else None)
    stamp = tuple((split_dir / "masks" / n).stat().st_mtime_ns if (split_dir / "masks" / n).is_dir() else 0 for n in names)
    key = (str(split_dir.resolve()), tuple(names), category_name, stamp)
    if key in _CACHE:
        return _CACHE[key]
    videos = [_load_sequence(split_dir, n) for n in names]
    index = VideoIndex(videos=videos, categories={1: category_name}, source=str(split_dir))
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = index
    logger.info(f"Loaded polyp split {split_dir}: {len(videos)} sequences, {index.num_frames} frames")
    return index


def _load_sequence(split_dir: Path, name: str) -> VideoRecord:
    img_dir, mask_dir = split_dir / "images" / name, split_dir / "masks" / name
    if not img_dir.is_dir():
        raise DatasetError(f"{split_dir}: sequence {name!r} has no folder {img_dir}; fix the list file")
    files = sorted((p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=lambda p: natural_key(p.stem))
    if not files:
        raise DatasetError(f"{img_dir}: no frames; remove {name!r} from the list file or add its frames")
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS} if mask_dir.is_dir() else {}
    frames = []
    for order, path in enumerate(files):
        mpath = masks.get(path.stem)
        if mpath is None:
            raise DatasetError(
                f"{split_dir}: frame {path} has no mask in {mask_dir} (same name, .jpg or .png); add it "
                "(an all-black mask if no polyp is visible)"
            )
        with Image.open(path) as im:
            w, h = im.size
        m = read_grey(mpath)
        if m.shape != (h, w):
            raise DatasetError(f"{mpath}: mask is {m.shape[1]}x{m.shape[0]} but the frame is {w}x{h}; resize the mask")
        objs = {1: BinaryImageMask(mpath, THRESHOLD)} if bool(np.any(m >= THRESHOLD)) else {}
        frames.append(FrameRecord(path, order, f"{name}/{path.stem}", h, w, objs))
    return VideoRecord(video_id=name, frames=frames, categories={1: 1})
