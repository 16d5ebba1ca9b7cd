"""EndoVis 2017 robotic instrument segmentation -> raw videos for the conversion pipeline.

Train layout: ``instrument_dataset_N/left_frames/frameNNN.png`` and
``instrument_dataset_N/ground_truth/<Name>_labels/frameNNN.png`` (one greyscale PNG per
instrument: 10 shaft, 20 wrist, 30 clasper, anything > 0 is the instrument). Test layout:
``instrument_dataset_N/{Binary,Parts,Type}Segmentation/frameNNN.png`` instead of ``ground_truth``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from sam2_video.convert.pipeline import ObjectMask, RawFrame, RawVideo
from sam2_video.convert.raw_io import (
    find_dirs, last_number, left_frames, natural_key, pair_labels, read_grey, require_dir,
)
from sam2_video.errors import ConfigError, DatasetError

TYPE_CATEGORIES = {
    1: "bipolar_forceps", 2: "prograsp_forceps", 3: "large_needle_driver", 4: "vessel_sealer",
    5: "grasping_retractor", 6: "monopolar_curved_scissors", 7: "other",
}
# Folder-name substring -> type id, checked in this order (case-insensitive).
TYPE_SUBSTRINGS = (
    ("bipolar_forceps", 1), ("prograsp_forceps", 2), ("large_needle_driver", 3), ("vessel_sealer", 4),
    ("grasping_retractor", 5), ("monopolar_curved_scissors", 6), ("other", 7),
)
PARTS_CATEGORIES = {10: "shaft", 20: "wrist", 30: "clasper"}
BINARY_CATEGORIES = {1: "instrument"}
CATEGORIES = {"type": TYPE_CATEGORIES, "parts": PARTS_CATEGORIES, "binary": BINARY_CATEGORIES}
FOLDS = {"fold0": (1, 3), "fold1": (2, 5), "fold2": (4, 8), "fold3": (6, 7)}
CROP_BOX = (28, 1052, 320, 1600)  # rows 28..1052, cols 320..1600 -> 1024 x 1280
# Test-set label folders and their pixel value -> category id maps.
TEST_FOLDERS = {"type": "TypeSegmentation", "parts": "PartsSegmentation", "binary": "BinarySegmentation"}
TEST_VALUES = {
    "type": {v: v for v in TYPE_CATEGORIES},
    "parts": {30: 10, 100: 20, 255: 30},
    "binary": {255: 1},
}
VIDEO_PATTERN = r"instrument_dataset_\d+"


def instrument_type(folder_name: str, path: Path) -> int:
    """Type id of a ``*_labels`` folder from its name (e.g. ``Left_Prograsp_Forceps_labels`` -> 2)."""
    lowered = folder_name.lower()
    for key, type_id in TYPE_SUBSTRINGS:
        if key in lowered:
            return type_id
    raise DatasetError(
        f"cannot tell the instrument type of {path}: rename the folder to contain one of "
        + ", ".join(k for k, _ in TYPE_SUBSTRINGS)
    )


def _unknown_values(values: np.ndarray, allowed: set[int], path: Path, fix: str) -> None:
    bad = sorted(int(v) for v in values if int(v) not in allowed)
    if bad:
        raise DatasetError(f"label {path} has unknown value(s) {bad[:8]}: {fix}")


def _load_instruments(paths: tuple[tuple[int, int, Path], ...], task: str) -> list[ObjectMask]:
    """One training frame: ``paths`` holds (instance index, type id, label path) per instrument."""
    out: list[ObjectMask] = []
    for index, type_id, path in paths:
        grey = read_grey(path)
        if task == "parts":
            _unknown_values(np.unique(grey), {0, *PARTS_CATEGORIES}, path,
                            "parts labels must only hold 0, 10, 20, 30 (or use --task type / binary)")
            out += [ObjectMask(100 * index + part, part, grey == part, path) for part in PARTS_CATEGORIES]
        else:
            out.append(ObjectMask(index, type_id if task == "type" else 1, grey > 0, path))
    return out


def _load_test_label(path: Path, task: str) -> list[ObjectMask]:
    """One test-layout frame: pixel values are classes; track id = category id."""
    grey = read_grey(path)
    mapping = TEST_VALUES[task]
    _unknown_values(np.unique(grey), {0, *mapping}, path,
                    f"{TEST_FOLDERS[task]} labels may only hold 0 and {sorted(mapping)}")
    return [ObjectMask(cat, cat, grey == value, path) for value, cat in mapping.items()]


def load_video(video_dir: Path, task: str) -> RawVideo:
    """Read one ``instrument_dataset_N`` folder (train or test layout)."""
    frames = left_frames(video_dir, "every instrument_dataset_N needs its left_frames folder")
    number = last_number(video_dir.name)
    gt = video_dir / "ground_truth"
    raw_frames: list[RawFrame] = []
    if gt.is_dir():
        folders = sorted((d for d in gt.iterdir() if d.is_dir() and d.name.endswith("_labels")),
                         key=lambda d: natural_key(d.name))
        if not folders:
            raise DatasetError(f"no <Name>_labels folders in {gt}: add the per-instrument label folders")
        instruments = [(i + 1, instrument_type(d.name, d), d, pair_labels(frames, d, (".png",))) for i, d in enumerate(folders)]
        for frame in frames:
            paths = tuple((i, t, labels[frame]) for i, t, _, labels in instruments)
            raw_frames.append(RawFrame(last_number(frame.stem), frame,
                                       functools.partial(_load_instruments, paths, task)))
    else:
        test_dir = video_dir / TEST_FOLDERS[task]
        require_dir(test_dir, f"{video_dir} needs ground_truth/ (train) or {TEST_FOLDERS[task]}/ (test labels)")
        labels = pair_labels(frames, test_dir, (".png",))
        for frame in frames:
            raw_frames.append(RawFrame(last_number(frame.stem), frame,
                                       functools.partial(_load_test_label, labels[frame], task)))
    return RawVideo(video_dir.name, raw_frames, (str(number),))


def load_videos(input_dir: Path, task: str = "type") -> tuple[list[RawVideo], dict[int, str]]:
    """All ``instrument_dataset_N`` videos under ``input_dir`` and the task's categories."""
    if task not in CATEGORIES:
        raise ConfigError(f"--task {task} is not available for EndoVis 2017: use type, parts or binary")
    dirs = find_dirs(input_dir, VIDEO_PATTERN)
    if not dirs:
        raise DatasetError(f"no instrument_dataset_N folders in {input_dir}: point --input-dir at the folder holding them")
    return [load_video(d, task) for d in dirs], dict(CATEGORIES[task])


def fold_videos(split: str) -> list[str]:
    """Validation video numbers of one of the usual 4 folds."""
    if split not in FOLDS:
        raise ConfigError(f"--split {split} is unknown for EndoVis 2017: use one of {', '.join(FOLDS)}")
    return [str(n) for n in FOLDS[split]]
