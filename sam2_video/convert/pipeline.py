"""The dataset-independent conversion loop: raw videos -> staged frames + COCO clip JSON."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger
from PIL import Image
from tqdm import tqdm

from sam2_video.convert.coco_writer import CocoBuilder, write_outputs
from sam2_video.convert.raw_io import image_size
from sam2_video.convert.split import resolve_val_videos
from sam2_video.convert.staging import StagedImageTree
from sam2_video.errors import ConfigError, DatasetError

CropBox = tuple[int, int, int, int]
"""Crop box as (y0, y1, x0, x1): rows y0..y1-1 and columns x0..x1-1 are kept."""


@dataclass(frozen=True)
class ObjectMask:
    """One instance in one frame: its track id, category and (H, W) bool mask."""

    track_id: int
    category_id: int
    mask: np.ndarray
    source: Path


@dataclass(frozen=True)
class RawFrame:
    """A frame: its ``order_in_video``, image file, and a loader for its instance masks."""

    order: int
    image: Path
    load: Callable[[], list[ObjectMask]]


@dataclass
class RawVideo:
    """A video: id, frames (any order; sorted here) and extra names accepted by ``--val-videos``."""

    video_id: str
    frames: list[RawFrame]
    aliases: tuple[str, ...] = field(default_factory=tuple)


def check_crop_box(box: Sequence[int] | None) -> CropBox | None:
    """Validate a (y0, y1, x0, x1) crop box."""
    if box is None:
        return None
    if len(box) != 4:
        raise ConfigError(f"crop box {list(box)} must have 4 numbers Y0 Y1 X0 X1")
    y0, y1, x0, x1 = (int(v) for v in box)
    if not (0 <= y0 < y1 and 0 <= x0 < x1):
        raise ConfigError(f"crop box rows {y0}..{y1}, cols {x0}..{x1} is empty or negative: fix --crop-box")
    return y0, y1, x0, x1


def _sorted_frames(video: RawVideo) -> list[RawFrame]:
    if not video.frames:
        raise DatasetError(f"video {video.video_id} has no frames: remove it or add its frames")
    frames = sorted(video.frames, key=lambda f: f.order)
    for prev, cur in zip(frames, frames[1:]):
        if prev.order == cur.order:
            raise DatasetError(
                f"{prev.image} and {cur.image} both have frame number {cur.order}: remove one"
            )
    return frames


def _write_frame(src: Path, dst: Path, crop: CropBox | None) -> None:
    if crop is None:
        shutil.copyfile(src, dst)
        return
    y0, y1, x0, x1 = crop
    with Image.open(src) as img:
        img.crop((x0, y0, x1, y1)).save(dst, format="PNG")


def convert_videos(
    videos: Sequence[RawVideo],
    categories: Mapping[int, str],
    output_file: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    *,
    crop_box: Sequence[int] | None = None,
    val_videos: Sequence[str] | None = None,
    info: Mapping[str, Any] | None = None,
    source: str = "",
    all_categories: bool = False,
) -> dict[str, dict[str, Any]]:
    """Convert ``videos`` and write the COCO clip JSON(s); returns {json path: summary}.

    Frames go to ``<image_root>/<video_id>/<order:05d><ext>`` (copied byte for byte, or cropped
    and saved as PNG). Nothing is written unless every frame converts. Only categories with an
    annotation are listed in each JSON unless ``all_categories``.
    """
    output_file = Path(output_file)
    if output_file.is_dir():
        raise ConfigError(f"--output-file {output_file} is a folder: give a .json file path")
    root = Path(image_root) if image_root is not None else output_file.parent
    crop = check_crop_box(crop_box)
    if not videos:
        raise DatasetError(f"no videos found in {source}: check --input-dir")
    val = resolve_val_videos(val_videos, {v.video_id: v.aliases for v in videos})
    ordered = sorted(videos, key=lambda v: v.video_id)
    frames_of = {v.video_id: _sorted_frames(v) for v in ordered}

    builder = CocoBuilder(categories, info)
    total = sum(len(f) for f in frames_of.values())
    with StagedImageTree(root) as stage, tqdm(total=total, unit="frame", desc="converting") as bar:
        for video in ordered:
            builder.add_video(video.video_id)
            size: tuple[int, int] | None = None
            for frame in frames_of[video.video_id]:
                height, width = image_size(frame.image)
                if size is None:
                    size, first = (height, width), frame.image
                elif size != (height, width):
                    raise DatasetError(
                        f"mixed sizes: frame {frame.image} is {width}x{height} but {first} is "
                        f"{size[1]}x{size[0]}: resize the frames of video {video.video_id} to one size"
                    )
                objects = frame.load()
                for obj in objects:
                    if obj.mask.shape != (height, width):
                        raise DatasetError(
                            f"mixed sizes: label {obj.source} is {obj.mask.shape[1]}x{obj.mask.shape[0]} "
                            f"but frame {frame.image} is {width}x{height}: fix the label size"
                        )
                if crop is not None:
                    y0, y1, x0, x1 = crop
                    if y1 > height or x1 > width:
                        raise DatasetError(
                            f"crop box rows {y0}..{y1}, cols {x0}..{x1} does not fit frame {frame.image} "
                            f"({width}x{height}): fix --crop-box"
                        )
                    height, width = y1 - y0, x1 - x0
                suffix = ".png" if crop is not None else frame.image.suffix.lower()
                rel = f"{video.video_id}/{frame.order:05d}{suffix}"
                _write_frame(frame.image, stage.path(rel), crop)
                image_id = builder.add_image(video.video_id, frame.order, rel, height, width)
                seen: set[int] = set()
                for obj in sorted(objects, key=lambda o: o.track_id):
                    if obj.track_id in seen:
                        raise DatasetError(
                            f"{obj.source}: instance id {obj.track_id} appears twice in frame {frame.image}: "
                            "give each instance its own id"
                        )
                    seen.add(obj.track_id)
                    mask = obj.mask if crop is None else obj.mask[crop[0]:crop[1], crop[2]:crop[3]]
                    builder.add_annotation(image_id, obj.category_id, obj.track_id, mask, obj.source)
                bar.update(1)
        stage.commit()
    summaries = write_outputs(builder, output_file, val, all_categories)
    logger.info("wrote {}", ", ".join(summaries))
    return summaries
