"""EndoVis 2017 / 2018 -> COCO clip JSON: year detection, task / split / crop options."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loguru import logger

from sam2_video.convert import endovis17, endovis18
from sam2_video.convert.pipeline import convert_videos
from sam2_video.convert.raw_io import find_dirs
from sam2_video.convert.split import parse_video_list, present_only
from sam2_video.errors import ConfigError, DatasetError

SPLITS_2018 = {"standard": list(endovis18.VAL_SEQUENCES)}


def detect_year(input_dir: Path) -> int:
    """2017 when ``instrument_dataset_N`` folders are found, 2018 for ``seq_N`` folders."""
    has17 = bool(find_dirs(input_dir, endovis17.VIDEO_PATTERN))
    has18 = bool(find_dirs(input_dir, endovis18.VIDEO_PATTERN))
    if has17 == has18:
        what = "both instrument_dataset_N and seq_N" if has17 else "neither instrument_dataset_N nor seq_N"
        raise DatasetError(f"{input_dir} holds {what} folders: pass --year or point --input-dir at one release")
    year = 2017 if has17 else 2018
    logger.info("detected EndoVis {} layout in {}", year, input_dir)
    return year


def _val_tokens(year: int, split: str | None, val_videos: str | Sequence[str] | None) -> list[str] | None:
    if split is not None and val_videos is not None:
        raise ConfigError("give either --split or --val-videos, not both")
    if split is None:
        return parse_video_list(val_videos)
    if year == 2017:
        return endovis17.fold_videos(split)
    if split not in SPLITS_2018:
        raise ConfigError(f"--split {split} is unknown for EndoVis 2018: use standard (val seq 2, 5, 9, 15) or --val-videos")
    return SPLITS_2018[split]


def convert_endovis(
    input_dir: str | os.PathLike,
    output_file: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    *,
    year: int | None = None,
    task: str | None = None,
    crop: bool = False,
    crop_box: Sequence[int] | None = None,
    split: str | None = None,
    val_videos: str | Sequence[str] | None = None,
    labels_json: str | os.PathLike | None = None,
    type_labels_dir: str = "instrument_labels",
    drop_background: bool = False,
    all_categories: bool = False,
) -> dict[str, dict[str, Any]]:
    """Convert an EndoVis 2017 or 2018 tree; returns {written json: summary}.

    ``task``: 2017 ``type`` (default) / ``parts`` / ``binary``; 2018 ``type`` (default, = ``data=endovis18``)
    / ``scene`` (= ``data=endovis18_scene``).
    ``crop`` uses ``crop_box`` (y0, y1, x0, x1), default the 2017 box 28..1052 x 320..1600.
    ``split``: ``fold0``..``fold3`` (2017) or ``standard`` (2018); or ``val_videos`` (ids/numbers).
    """
    input_dir = Path(input_dir)
    year = detect_year(input_dir) if year is None else int(year)
    if year not in (2017, 2018):
        raise ConfigError(f"--year {year} is not supported: use 2017 or 2018")
    tokens = _val_tokens(year, split, val_videos)
    if year == 2017:
        task = task or "type"
        if labels_json is not None or drop_background:
            raise ConfigError("--labels-json / --drop-background only apply to EndoVis 2018")
        videos, categories = endovis17.load_videos(input_dir, task)
    else:
        task = task or "type"  # what data=endovis18 reads; scene classes: data=endovis18_scene
        videos, categories = endovis18.load_videos(
            input_dir, task, Path(labels_json) if labels_json is not None else None,
            type_labels_dir, drop_background,
        )
    if split is not None and tokens is not None:
        tokens = present_only(tokens, {v.video_id: v.aliases for v in videos}, split)
    box = None
    if crop or crop_box is not None:
        box = tuple(crop_box) if crop_box is not None else endovis17.CROP_BOX
    info = {"description": f"EndoVis {year} ({task}) converted by sam2_video.convert.endovis",
            "crop_box_y0_y1_x0_x1": list(box) if box else None}
    return convert_videos(videos, categories, output_file, image_root, crop_box=box,
                          val_videos=tokens, info=info, source=str(input_dir),
                          all_categories=all_categories)
