"""DAVIS-style and polyp-style video folders -> COCO clip JSON.

DAVIS: ``JPEGImages/<video>/<int>.jpg`` + ``Annotations/<video>/<int>.png`` (palettised or
greyscale; each non-zero value is one object, ``track_id`` = that value, category 1 ``object``).
Polyp: ``<subset>/images/<seq>/<frame>.jpg`` + ``<subset>/masks/<seq>/<frame>.jpg|png`` (binary,
JPEG noise removed by thresholding), sequences listed in ``<subset>/<subset>_list.txt``;
one object per sequence (``track_id`` 1, category 1 ``polyp``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger
from PIL import Image

from sam2_video.convert.pipeline import ObjectMask, RawFrame, RawVideo, convert_videos
from sam2_video.convert.raw_io import (
    last_number, list_images, natural_key, pair_labels, read_luma, require_dir, require_file,
)
from sam2_video.convert.split import parse_video_list
from sam2_video.errors import ConfigError, DatasetError

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


def _read_davis(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as img:
            if img.mode not in ("P", "L", "1"):
                raise DatasetError(
                    f"annotation {path} is {img.mode}; DAVIS annotations must be palettised or greyscale "
                    "PNGs (one value per object): convert it"
                )
            return np.asarray(img).astype(np.uint8)
    except OSError as exc:
        raise DatasetError(f"cannot read annotation {path} ({exc}): replace the file") from exc


def _load_davis(path: Path) -> list[ObjectMask]:
    label = _read_davis(path)
    return [ObjectMask(int(v), 1, label == v, path) for v in np.unique(label).tolist() if v != 0]


def _load_polyp(path: Path, threshold: int) -> list[ObjectMask]:
    return [ObjectMask(1, 1, read_luma(path) >= threshold, path)]


def _frame_orders(frames: list[Path]) -> list[int]:
    """Last number in each stem when all frames have distinct ones, else the sorted position."""
    numbers = [last_number(f.stem) for f in frames]
    if None not in numbers and len(set(numbers)) == len(numbers):
        return numbers  # type: ignore[return-value]
    return list(range(len(frames)))


def _davis_videos(input_dir: Path, resolution: str | None, names: list[str] | None) -> list[RawVideo]:
    images = require_dir(input_dir / "JPEGImages" / (resolution or ""), "DAVIS layout needs JPEGImages/<video>/")
    annotations = require_dir(input_dir / "Annotations" / (resolution or ""), "DAVIS layout needs Annotations/<video>/")
    if names is None:
        names = sorted((d.name for d in images.iterdir() if d.is_dir() and not d.name.startswith(".")), key=natural_key)
    videos = []
    for name in names:
        frame_dir = require_dir(images / name, "fix the video list or add the video")
        frames = list_images(frame_dir, FRAME_SUFFIXES)
        for frame in frames:
            if not frame.stem.isdigit():
                raise DatasetError(f"frame {frame} is not integer-named: rename the frames to <int>.jpg")
        pairs = pair_labels(frames, require_dir(annotations / name, "add the video's annotations"), (".png",))
        videos.append(RawVideo(name, [RawFrame(int(f.stem), f, functools.partial(_load_davis, pairs[f])) for f in frames]))
    return videos


def _polyp_videos(input_dir: Path, subset: str | None, threshold: int, names: list[str] | None) -> list[RawVideo]:
    if subset is None:
        found = sorted(d.name for d in input_dir.iterdir() if (d / f"{d.name}_list.txt").is_file()) if input_dir.is_dir() else []
        if len(found) != 1:
            raise ConfigError(f"pass --subset: {input_dir} has {len(found)} <subset>/<subset>_list.txt folders {found}")
        subset = found[0]
    root = require_dir(input_dir / subset, "fix --input-dir / --subset")
    listed = require_file(root / f"{subset}_list.txt", "the polyp layout needs <subset>/<subset>_list.txt")
    seqs = [line.strip() for line in listed.read_text(encoding="utf-8").splitlines() if line.strip()]
    if names is not None:
        seqs = [s for s in seqs if s in set(names)]
    images = require_dir(root / "images", "the polyp layout needs <subset>/images/<seq>/")
    masks = require_dir(root / "masks", "the polyp layout needs <subset>/masks/<seq>/")
    unlisted = sorted({d.name for d in images.iterdir() if d.is_dir()} - set(seqs))
    if unlisted:
        logger.info("{} sequence folder(s) not in {} skipped: {}", len(unlisted), listed.name, unlisted[:5])
    videos = []
    for seq in seqs:
        frames = list_images(require_dir(images / seq, f"sequence listed in {listed} is missing"), FRAME_SUFFIXES)
        pairs = pair_labels(frames, require_dir(masks / seq, f"sequence listed in {listed} has no masks"), FRAME_SUFFIXES)
        orders = _frame_orders(frames)
        videos.append(RawVideo(seq, [RawFrame(o, f, functools.partial(_load_polyp, pairs[f], threshold))
                                     for o, f in zip(orders, frames)]))
    return videos


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
        path = require_file(Path(videos_file), "fix --videos-file")
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if layout == "davis":
        videos, categories = _davis_videos(input_dir, resolution, names), {1: "object"}
    elif layout == "polyp":
        if not 0 < threshold <= 255:
            raise ConfigError(f"--threshold {threshold} must be in 1..255")
        videos, categories = _polyp_videos(input_dir, subset, threshold, names), {1: "polyp"}
    else:
        raise ConfigError(f"--layout {layout} is unknown: use davis or polyp")
    info = {"description": f"{layout} folder converted by sam2_video.convert.video_folder"}
    return convert_videos(videos, categories, output_file, image_root,
                          val_videos=parse_video_list(val_videos), info=info, source=str(input_dir),
                          all_categories=all_categories)
