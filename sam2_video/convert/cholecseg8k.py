"""CholecSeg8k -> COCO clip JSON.

Layout: ``videoXX/videoXX_<start>/frame_<n>_endo.png`` with ``frame_<n>_endo_watershed_mask.png``.
Each ``videoXX_<start>`` clip is one video; frame order is ``n``. Classes come from the first
channel of the watershed mask; 255 (edges) and 0 (unlabelled) are ignored. One instance per class
per video: ``track_id`` = class id.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sam2_video.convert.pipeline import ObjectMask, RawFrame, RawVideo, convert_videos
from sam2_video.convert.raw_io import find_dirs, list_images, natural_key, read_first_channel
from sam2_video.convert.split import parse_video_list
from sam2_video.errors import DatasetError

# watershed grey value -> (class id, name)
CLASSES = {
    50: (0, "background"), 11: (1, "abdominal_wall"), 21: (2, "liver"), 13: (3, "gastrointestinal_tract"),
    12: (4, "fat"), 31: (5, "grasper"), 23: (6, "connective_tissue"), 24: (7, "blood"),
    25: (8, "cystic_duct"), 32: (9, "l_hook_electrocautery"), 22: (10, "gallbladder"),
    33: (11, "hepatic_vein"), 5: (12, "liver_ligament"),
}
IGNORE_VALUES = (0, 255)
CATEGORIES = {cid: name for cid, name in sorted(CLASSES.values())}
CLIP_PATTERN = r"video\d+_\d+"
_FRAME = re.compile(r"frame_(\d+)_endo")
_MASK_SUFFIX = "_watershed_mask"


def _load(path: Path, keep: frozenset[int]) -> list[ObjectMask]:
    grey = read_first_channel(path)
    values = np.unique(grey)
    bad = sorted(int(v) for v in values if int(v) not in CLASSES and int(v) not in IGNORE_VALUES)
    if bad:
        raise DatasetError(
            f"watershed mask {path} has unknown grey value(s) {bad[:8]}: expected "
            f"{sorted(CLASSES)} (+ 0 / 255 ignored); fix the mask"
        )
    out = []
    for value in values.tolist():
        if value in CLASSES and CLASSES[value][0] in keep:
            cid = CLASSES[value][0]
            out.append(ObjectMask(cid, cid, grey == value, path))
    return out


def load_clip(clip_dir: Path, keep: frozenset[int]) -> RawVideo:
    """One ``videoXX_<start>`` clip folder."""
    frames: dict[int, Path] = {}
    masks: dict[int, Path] = {}
    for path in list_images(clip_dir, (".png",)):
        match = _FRAME.fullmatch(path.stem)
        if match:
            frames[int(match[1])] = path
        elif path.stem.endswith("_endo" + _MASK_SUFFIX):
            m = _FRAME.fullmatch(path.stem[: -len(_MASK_SUFFIX)])
            if m:
                masks[int(m[1])] = path
    if not frames:
        raise DatasetError(f"no frame_<n>_endo.png frames in {clip_dir}: check the CholecSeg8k folder")
    for n, frame in sorted(frames.items()):
        if n not in masks:
            raise DatasetError(
                f"frame {frame} has no label {clip_dir / f'frame_{n}_endo_watershed_mask.png'}: add it or remove the frame"
            )
    orphan = sorted(set(masks) - set(frames))
    if orphan:
        raise DatasetError(f"label {masks[orphan[0]]} has no frame frame_{orphan[0]}_endo.png: add it or remove the label")
    raw = [RawFrame(n, frames[n], functools.partial(_load, masks[n], keep)) for n in sorted(frames)]
    video = clip_dir.name.split("_")[0]
    return RawVideo(clip_dir.name, raw, (video, str(int(video[len("video"):]))))


def convert_cholecseg8k(
    input_dir: str | os.PathLike,
    output_file: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    *,
    val_videos: str | Sequence[str] | None = None,
    drop_background: bool = False,
    all_categories: bool = False,
) -> dict[str, dict[str, Any]]:
    """Convert a CholecSeg8k tree; ``val_videos`` takes clip ids, ``videoXX`` names or numbers."""
    input_dir = Path(input_dir)
    clips = find_dirs(input_dir, CLIP_PATTERN, max_depth=3)
    if not clips:
        raise DatasetError(f"no videoXX_<start> clip folders in {input_dir}: point --input-dir at the CholecSeg8k root")
    categories = {c: n for c, n in CATEGORIES.items() if not (drop_background and c == 0)}
    videos = [load_clip(c, frozenset(categories)) for c in sorted(clips, key=lambda p: natural_key(p.name))]
    info = {"description": "CholecSeg8k converted by sam2_video.convert.cholecseg8k (watershed masks)"}
    return convert_videos(videos, categories, output_file, image_root,
                          val_videos=parse_video_list(val_videos), info=info, source=str(input_dir),
                          all_categories=all_categories)
