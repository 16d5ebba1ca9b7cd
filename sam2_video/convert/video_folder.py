"""DAVIS-style and polyp-style video folders -> COCO clip JSON.

Folders are read by the training loaders' own readers (``sam2_video.data.folders``: the same videos,
frames and natural-sort frame order) and labels by ``sam2_video.data.mask_io`` (the same rules):
DAVIS: every non-zero value of an annotation PNG is one object (``track_id`` = that value, category 1
``object``) except 255 (VOID, ignored); polyp: one object per sequence (``track_id`` 1, category 1
``polyp``), foreground = luma >= ``threshold``. ``order_in_video`` = the frame's position 0..T-1.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sam2_video.convert.pipeline import ObjectMask, RawFrame, RawVideo, convert_videos
from sam2_video.convert.raw_io import require_dir, require_file
from sam2_video.convert.split import parse_video_list
from sam2_video.data.folders import FolderVideo, davis_videos, polyp_videos, read_video_list
from sam2_video.data.mask_io import label_ids, read_label_png, read_luma
from sam2_video.errors import ConfigError


def _load_davis(path: Path) -> list[ObjectMask]:
    label = read_label_png(path)
    return [ObjectMask(v, 1, label == v, path) for v in label_ids(label)]


def _load_polyp(path: Path, threshold: int) -> list[ObjectMask]:
    return [ObjectMask(1, 1, read_luma(path) >= threshold, path)]


def _raw(video: FolderVideo, load) -> RawVideo:
    return RawVideo(video.name, [RawFrame(order, fr.image, functools.partial(load, fr.label))
                                 for order, fr in enumerate(video.frames)])


def _polyp_split(input_dir: Path, subset: str | None) -> Path:
    """``input_dir/<subset>``; the subset is the one folder holding a ``*_list.txt`` when not given."""
    if subset is None:
        found = sorted(d.name for d in input_dir.iterdir() if d.is_dir() and any(d.glob("*_list.txt")))
        if len(found) != 1:
            raise ConfigError(f"pass --subset: {input_dir} has {len(found)} <subset>/*_list.txt folders {found}")
        subset = found[0]
    return require_dir(input_dir / subset, "fix --input-dir / --subset")


def convert_video_folder(
    input_dir: str | os.PathLike,
    output_file: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    *,
    layout: str = "davis",
    subset: str | None = None,
    resolution: str | None = None,
    videos_file: str | os.PathLike | None = None,
    threshold: int = 128,
    val_videos: str | Sequence[str] | None = None,
    all_categories: bool = False,
) -> dict[str, dict[str, Any]]:
    """Convert a DAVIS (``layout="davis"``) or polyp (``layout="polyp"``) tree.

    ``resolution``: DAVIS sub-folder such as ``480p``; ``videos_file``: text file restricting the
    videos (e.g. ``ImageSets/2017/train.txt``); ``threshold``: polyp mask grey level >= which a
    pixel is foreground; ``subset``: polyp ``<split>`` folder (auto when there is exactly one).
    """
    input_dir = require_dir(Path(input_dir), "fix --input-dir")
    names = None
    if videos_file is not None:
        names = read_video_list(require_file(Path(videos_file), "fix --videos-file"))
    if layout == "davis":
        videos = [_raw(v, _load_davis) for v in davis_videos(input_dir, names, resolution)]
        categories = {1: "object"}
    elif layout == "polyp":
        if not 0 < threshold <= 255:
            raise ConfigError(f"--threshold {threshold} must be in 1..255")
        load = functools.partial(_load_polyp, threshold=threshold)
        videos = [_raw(v, load) for v in polyp_videos(_polyp_split(input_dir, subset), names)]
        categories = {1: "polyp"}
    else:
        raise ConfigError(f"--layout {layout} is unknown: use davis or polyp")
    info = {"description": f"{layout} folder converted by sam2_video.convert.video_folder"}
    return convert_videos(videos, categories, output_file, image_root,
                          val_videos=parse_video_list(val_videos), info=info, source=str(input_dir),
                          all_categories=all_categories)
