"""Polyp layout -> `VideoIndex`: ``<split>/images/<seq>/<frame>.jpg`` + ``<split>/masks/<seq>/<frame>.(jpg|png)``.

Sequences, frames and their order come from :func:`sam2_video.data.folders.polyp_videos` (the
split's one ``*_list.txt``, else every folder of ``images/``; frames in natural sort, as the
converter reads them). Masks are binary images, foreground = luma >= 128 (JPEG noise; ``data.mask_io``);
each sequence has one object, track 1, category 1 (``polyp``). Object presence is read from every
mask once and cached per split.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from loguru import logger
from PIL import Image

from sam2_video.data.folders import FolderVideo, cached_index, natural_key, polyp_sequences, polyp_videos  # noqa: F401
from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.data.mask_io import read_luma
from sam2_video.data.mask_sources import BinaryImageMask
from sam2_video.errors import DatasetError

THRESHOLD = 128
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
    names = polyp_sequences(split_dir, Path(list_file) if list_file else None)
    key = ("polyp", str(split_dir.resolve()), tuple(names), category_name)

    def build() -> VideoIndex:
        videos = [_record(v) for v in polyp_videos(split_dir, names, Path(list_file) if list_file else None)]
        index = VideoIndex(videos=videos, categories={1: category_name}, source=str(split_dir))
        logger.info(f"Loaded polyp split {split_dir}: {len(videos)} sequences, {index.num_frames} frames")
        return index

    return cached_index(key, [split_dir / "masks" / n for n in names], build)


def _record(video: FolderVideo) -> VideoRecord:
    frames = []
    for order, fr in enumerate(video.frames):
        with Image.open(fr.image) as im:
            w, h = im.size
        m = read_luma(fr.label)
        if m.shape != (h, w):
            raise DatasetError(f"{fr.label}: mask is {m.shape[1]}x{m.shape[0]} but the frame is {w}x{h}; resize the mask")
        objs = {1: BinaryImageMask(fr.label, THRESHOLD)} if bool(np.any(m >= THRESHOLD)) else {}
        frames.append(FrameRecord(fr.image, order, f"{video.name}/{fr.image.stem}", h, w, objs))
    return VideoRecord(video_id=video.name, frames=frames, categories={1: 1})
