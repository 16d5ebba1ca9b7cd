"""DAVIS layout -> `VideoIndex`: ``JPEGImages/<video>/<frame>.jpg`` + ``Annotations/<video>/<frame>.png``.

Videos, frames and their order come from :func:`sam2_video.data.folders.davis_videos` (natural sort
of the stems; the converter reads the same way). Annotation PNGs are palettised (mode P) or grey (L):
every non-zero value is one object, its track id, except 255 (VOID, ignored; ``data.mask_io``). All
objects get category 1 (``object``) unless ``category_names`` names more. Object presence is read
from every PNG once (a histogram per frame) and cached per split.
"""

from __future__ import annotations

import os
from pathlib import Path

from loguru import logger
from PIL import Image

from sam2_video.data.folders import FolderVideo, cached_index, davis_dirs, folder_names, davis_videos, read_video_list
from sam2_video.data.index import FrameRecord, VideoIndex, VideoRecord
from sam2_video.data.mask_io import davis_palette, label_ids, read_label_png  # noqa: F401  (davis_palette re-exported)
from sam2_video.data.mask_sources import PaletteMask
from sam2_video.errors import DatasetError

def load_davis_index(
    root: str | os.PathLike,
    videos: list[str] | str | os.PathLike | None = None,
    *,
    resolution: str | None = None,
    category_names: dict[int, str] | None = None,
) -> VideoIndex:
    """Index the DAVIS folder ``root``; ``videos`` = names, a list file, or None for every video."""
    root = Path(root)
    img_dir, ann_dir = davis_dirs(root, resolution)
    source = str(videos) if isinstance(videos, (str, os.PathLike)) else str(root)
    if isinstance(videos, (str, os.PathLike)):
        names = read_video_list(Path(videos))
    elif videos is None:
        names = folder_names(img_dir)
    else:
        names = list(videos)
    key = ("davis", str(ann_dir.resolve()), source, tuple(names), tuple(sorted((category_names or {}).items())))

    def build() -> VideoIndex:
        records = [_record(v) for v in davis_videos(root, names, resolution)]
        cats = dict(category_names) if category_names else {1: "object"}
        for rec in records:
            rec.categories = {tid: (tid if tid in cats else min(cats)) for tid in rec.categories}
        index = VideoIndex(videos=records, categories=cats, source=source)
        logger.info(f"Loaded DAVIS {source}: {len(records)} videos, {index.num_frames} frames")
        return index

    return cached_index(key, [ann_dir / n for n in names], build)


def _record(video: FolderVideo) -> VideoRecord:
    frames: list[FrameRecord] = []
    tracks: set[int] = set()
    for order, fr in enumerate(video.frames):
        with Image.open(fr.image) as im:
            w, h = im.size
        labels = read_label_png(fr.label)
        if labels.shape != (h, w):
            raise DatasetError(f"{fr.label}: annotation is {labels.shape[1]}x{labels.shape[0]} but the frame is "
                               f"{w}x{h}; masks must be stored at the frame resolution")
        ids = label_ids(labels)
        tracks.update(ids)
        frames.append(FrameRecord(fr.image, order, f"{video.name}/{fr.image.stem}", h, w,
                                  {v: PaletteMask(fr.label, v) for v in ids}))
    return VideoRecord(video_id=video.name, frames=frames, categories={t: 1 for t in sorted(tracks)})
