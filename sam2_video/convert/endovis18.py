"""EndoVis 2018 robotic scene segmentation -> raw videos for the conversion pipeline.

Layout: ``seq_N/left_frames/frameNNN.png`` and ``seq_N/labels/frameNNN.png`` (RGB colour-coded,
classes from ``labels.json``: list of ``{name, color: [R, G, B], classid}``). Instrument-type
labels (``--task type``): per-instance binary PNGs in ``seq_N/<type dir>/`` whose names contain
``frameNNN``, ``class<K>`` and optionally ``inst<J>``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
from loguru import logger

from sam2_video.convert.raw_io import (
    find_dirs, last_number, left_frames, list_images, natural_key, pair_labels, read_rgb, require_dir,
)
from sam2_video.convert.pipeline import ObjectMask, RawFrame, RawVideo
from sam2_video.errors import ConfigError, DatasetError

# Built-in copy of the release's labels.json, used only when no labels.json is found.
SCENE_CLASSES = (
    (0, "background-tissue", (0, 0, 0)), (1, "instrument-shaft", (0, 255, 0)),
    (2, "instrument-clasper", (0, 255, 255)), (3, "instrument-wrist", (125, 255, 12)),
    (4, "kidney-parenchyma", (255, 55, 0)), (5, "covered-kidney", (24, 55, 125)),
    (6, "thread", (187, 155, 25)), (7, "clamps", (0, 255, 125)), (8, "suturing-needle", (255, 255, 125)),
    (9, "suction-instrument", (123, 15, 175)), (10, "small-intestine", (124, 155, 5)),
    (11, "ultrasound-probe", (12, 255, 141)),
)
SCENE_CLASSES_BY_ID = {cid: name for cid, name, _ in SCENE_CLASSES}
# Instrument-type ids (the ``class<K>`` number in the per-instance file names).
TYPE_CATEGORIES = {
    1: "bipolar_forceps", 2: "prograsp_forceps", 3: "large_needle_driver", 4: "monopolar_curved_scissors",
    5: "ultrasound_probe", 6: "suction_instrument", 7: "clip_applier",
}
VAL_SEQUENCES = ("2", "5", "9", "15")
VIDEO_PATTERN = r"seq_\d+"
_INSTANCE_NAME = re.compile(r"frame(?P<frame>\d+).*?class(?P<cls>\d+)(?:.*?inst(?P<inst>\d+))?", re.IGNORECASE)


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def read_labels_json(path: Path) -> list[tuple[int, str, tuple[int, int, int]]]:
    """(classid, name, colour) rows of a ``labels.json``; colours and ids must be unique."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        classes = [(int(r["classid"]), str(r["name"]), tuple(int(c) for c in r["color"][:3])) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"cannot read {path} ({exc}): it must be a list of {{name, color, classid}}") from exc
    for what, values in (("classid", [c[0] for c in classes]), ("color", [c[2] for c in classes])):
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise DatasetError(f"{path} repeats {what} {dup[0]}: make each class {what} unique")
    return sorted(classes)


def find_labels_json(input_dir: Path, video_dirs: list[Path], explicit: Path | None) -> Path | None:
    """``--labels-json``, else the one ``labels.json`` in the input dir or the sequences' parents."""
    if explicit is not None:
        if not explicit.is_file():
            raise DatasetError(f"missing file {explicit}: fix --labels-json")
        return explicit
    candidates = sorted({p for p in [input_dir / "labels.json", *(d.parent / "labels.json" for d in video_dirs)]
                         if p.is_file()})
    texts = {p: read_labels_json(p) for p in candidates}
    if len({json.dumps(v) for v in texts.values()}) > 1:
        raise DatasetError(f"labels.json files disagree ({', '.join(map(str, candidates))}): pass one with --labels-json")
    return candidates[0] if candidates else None


def _load_scene(path: Path, colour_to_class: dict[int, int], keep: set[int]) -> list[ObjectMask]:
    packed = _pack(read_rgb(path))
    colours, inverse = np.unique(packed, return_inverse=True)
    inverse = inverse.reshape(packed.shape)
    out = []
    for idx, colour in enumerate(colours.tolist()):
        if colour not in colour_to_class:
            rgb = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)
            raise DatasetError(
                f"label {path} has colour RGB{rgb} ({int((inverse == idx).sum())} px) that is not in "
                "labels.json: add the class to labels.json or fix the label"
            )
        cls = colour_to_class[colour]
        if cls in keep:
            out.append(ObjectMask(cls, cls, inverse == idx, path))
    return out


def _load_instances(paths: tuple[tuple[int, int, Path], ...]) -> list[ObjectMask]:
    out = []
    for cls, inst, path in paths:
        rgb = read_rgb(path)
        out.append(ObjectMask(100 * cls + inst, cls, rgb.max(axis=2) > 0, path))
    return out


def _scene_video(video_dir: Path, colour_to_class: dict[int, int], keep: set[int]) -> RawVideo:
    frames = left_frames(video_dir, "every seq_N needs its left_frames folder")
    label_dir = require_dir(video_dir / "labels", "every seq_N needs its labels folder")
    labels = pair_labels(frames, label_dir, (".png",))
    raw = [RawFrame(last_number(f.stem), f, functools.partial(_load_scene, labels[f], colour_to_class, keep))
           for f in frames]
    return RawVideo(video_dir.name, raw, (str(last_number(video_dir.name)),))


def _type_video(video_dir: Path, type_dir: str) -> RawVideo:
    frames = left_frames(video_dir, "every seq_N needs its left_frames folder")
    folder = require_dir(video_dir / type_dir, "add the instrument-type labels or fix --type-labels-dir "
                         "(scene labels only? convert with --task scene and train with data=endovis18_scene)")
    by_frame: dict[int, list[tuple[int, int, Path]]] = {}
    for path in list_images(folder, (".png",)):
        match = _INSTANCE_NAME.search(path.stem)
        if match is None:
            raise DatasetError(f"cannot read frame and class from {path}: name it like frame000_class2_inst0.png")
        cls = int(match["cls"])
        if cls not in TYPE_CATEGORIES:
            raise DatasetError(f"{path}: class{cls} is not an instrument type 1..7: fix the file name")
        by_frame.setdefault(int(match["frame"]), []).append((cls, int(match["inst"] or 0), path))
    numbers = {last_number(f.stem) for f in frames}
    orphan = sorted(set(by_frame) - numbers)
    if orphan:
        raise DatasetError(f"label {by_frame[orphan[0]][0][2]} has no frame in left_frames: add the frame or remove the label")
    raw = [RawFrame(last_number(f.stem), f,
                    functools.partial(_load_instances, tuple(sorted(by_frame.get(last_number(f.stem), [])))))
           for f in frames]
    return RawVideo(video_dir.name, raw, (str(last_number(video_dir.name)),))


def load_videos(input_dir: Path, task: str = "type", labels_json: Path | None = None,
                type_labels_dir: str = "instrument_labels",
                drop_background: bool = False) -> tuple[list[RawVideo], dict[int, str]]:
    """All ``seq_N`` videos under ``input_dir`` and the categories of ``task`` (scene or type)."""
    if task not in ("scene", "type"):
        raise ConfigError(f"--task {task} is not available for EndoVis 2018: use scene or type")
    dirs = find_dirs(input_dir, VIDEO_PATTERN)
    if not dirs:
        raise DatasetError(f"no seq_N folders in {input_dir}: point --input-dir at the folder holding them")
    if task == "type":
        return [_type_video(d, type_labels_dir) for d in dirs], dict(TYPE_CATEGORIES)
    path = find_labels_json(input_dir, dirs, labels_json)
    if path is None:
        logger.warning("no labels.json in {}: using the built-in EndoVis 2018 class table", input_dir)
        classes = list(SCENE_CLASSES)
    else:
        classes = read_labels_json(path)
    colour_to_class = {(r << 16) | (g << 8) | b: cid for cid, _, (r, g, b) in classes}
    categories = {cid: name for cid, name, _ in classes if not (drop_background and cid == 0)}
    return [_scene_video(d, colour_to_class, set(categories)) for d in dirs], categories
