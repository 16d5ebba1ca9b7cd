"""The refiner's dataset index: ``dataset.jsonl`` (one frame per line) + ``dataset_meta.json``.

Row fields: ``key`` (unique, mirrors into ``prompts/<key>.prompts.json`` and ``sam2_prior/<key>.npy``),
``image_path``, ``mask_path`` (single-channel 8-bit PNG, ids 0 background, 1..C classes),
``video_id``, ``frame_id`` (order in the video), ``classes_present`` (sorted ids > 0), ``split``.
Splits are by video: `check_no_leak` refuses an index where one video is in two splits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np

from sam2_video.atomic import write_json, write_text
from sam2_video.errors import DatasetError

INDEX_FILE = "dataset.jsonl"
META_FILE = "dataset_meta.json"


@dataclass(frozen=True)
class IndexRecord:
    """One annotated frame of the index."""

    key: str  # relative, '/'-separated, no suffix: "<video>/<frame stem>"
    image_path: str
    mask_path: str
    video_id: str
    frame_id: int
    classes_present: tuple[int, ...]
    split: str

    def to_json(self) -> str:
        row = asdict(self)
        row["classes_present"] = list(self.classes_present)
        return json.dumps(row, sort_keys=True)


@dataclass(frozen=True)
class IndexMeta:
    """What every row shares: the number of classes C and their names (id 1..C)."""

    num_classes: int
    class_names: dict[int, str]
    source: str


def read_image(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; DatasetError naming the file when it cannot be decoded."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DatasetError(f"{path}: cannot read image (missing or not an image); restore or remove it")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_class_map(path: str | Path, num_classes: int | None, image_hw: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) uint8 class ids from a single-channel 8-bit PNG, checked against C and the image size."""
    m = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if m is None:
        raise DatasetError(f"{path}: cannot read mask (missing or not an image); restore or remove it")
    if m.ndim != 2 or m.dtype != np.uint8:
        raise DatasetError(
            f"{path}: mask must be a single-channel 8-bit PNG of class ids (got shape {m.shape}, {m.dtype}); "
            "convert it to ids 0 = background, 1..C"
        )
    if image_hw is not None and m.shape != tuple(image_hw):
        raise DatasetError(
            f"{path}: mask is {m.shape[1]}x{m.shape[0]} but its image is {image_hw[1]}x{image_hw[0]}; "
            "masks must have the image's size"
        )
    top = int(m.max()) if m.size else 0
    if num_classes is not None and top > num_classes:
        raise DatasetError(
            f"{path}: class id {top} > num_classes={num_classes}; fix the mask or set refiner.num_classes"
        )
    return m


def check_no_leak(records: Iterable[IndexRecord], source: str = INDEX_FILE) -> None:
    """DatasetError naming the first video that appears in two splits."""
    seen: dict[str, str] = {}
    for r in records:
        prev = seen.setdefault(r.video_id, r.split)
        if prev != r.split:
            raise DatasetError(
                f"{source}: video {r.video_id!r} is in splits {prev!r} and {r.split!r}; "
                "split by video, never by frame"
            )


def check_keys(records: Sequence[IndexRecord], source: str) -> None:
    """Keys become paths under the work dir: relative, no '..' / empty parts, unique."""
    keys: dict[str, str] = {}
    for r in records:
        parts = r.key.split("/")
        if r.key.startswith("/") or "\\" in r.key or any(p in ("", ".", "..") for p in parts):
            raise DatasetError(f"{source}: {r.image_path} gives the unsafe key {r.key!r} (video id {r.video_id!r}); "
                               "rename the video / file")
        if r.key in keys:
            raise DatasetError(f"{source}: {r.image_path} and {keys[r.key]} map to the same key {r.key!r}; rename one")
        keys[r.key] = r.image_path


def write_index(work_dir: Path, records: Sequence[IndexRecord], meta: IndexMeta) -> Path:
    """Atomically write ``dataset.jsonl`` (rows sorted by key) and ``dataset_meta.json``."""
    check_no_leak(records)
    check_keys(records, str(work_dir / INDEX_FILE))
    rows = sorted(records, key=lambda r: r.key)
    write_json(work_dir / META_FILE, {"num_classes": meta.num_classes, "source": meta.source,
                                      "class_names": {str(k): v for k, v in sorted(meta.class_names.items())}})
    return write_text(work_dir / INDEX_FILE, "".join(r.to_json() + "\n" for r in rows))


def read_index(work_dir: Path) -> tuple[list[IndexRecord], IndexMeta]:
    """Rows and meta of ``work_dir``; DatasetError naming the file / line when malformed."""
    path, meta_path = work_dir / INDEX_FILE, work_dir / META_FILE
    if not path.is_file() or not meta_path.is_file():
        raise DatasetError(f"{path}: no refiner index here; run `python -m sam2_video.refiner.make_data ...` first")
    try:
        m = json.loads(meta_path.read_text())
        meta = IndexMeta(int(m["num_classes"]), {int(k): v for k, v in m["class_names"].items()}, m["source"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{meta_path}: malformed ({exc}); rebuild the index") from None
    records = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        try:
            row = json.loads(line)
            row["classes_present"] = tuple(int(c) for c in row["classes_present"])
            records.append(IndexRecord(**row))
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{i}: malformed row ({exc}); rebuild the index") from None
    check_keys(records, str(path))
    check_no_leak(records, str(path))
    return records, meta
