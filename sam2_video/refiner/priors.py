"""Offline SAM2 priors: per-class logits from the saved prompts, float16 ``.npy`` at the refiner's
resolution under ``<work_dir>/sam2_prior/<key>.npy`` (mirroring the index).

Each file is (C, H, W) float16: channel c-1 holds SAM2's mask logits for class c, prompted with the
class's saved points + box on the single frame (no memory), letterboxed like the image and clipped
to ``[-clip, clip]``; classes without a prompt (absent from the frame) and the letterbox padding
hold ``absent_logit``. Resumable (one generator per work_dir at a time): a finished file is verified (fully loaded, shape, dtype, finite)
and skipped; a torn / unreadable one is redone; every write is atomic. A valid file of another shape
(other resolution or class count) is refused, as is a ``params.json`` from other settings;
temporaries left by a killed run are removed.
``summary.json``: counts, class coverage, empty (no positive logit) and failed (non-finite) cases,
mean prior IoU per class.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from loguru import logger
from tqdm import tqdm

from sam2_video.atomic import atomic_path, write_json
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.refiner.index import IndexMeta, IndexRecord, read_class_map, read_image
from sam2_video.pipeline.letterbox import IGNORE, Letterbox
from sam2_video.refiner.prompts import prompt_path, read_prompts
from sam2_video.inference.single_frame import SingleFrameSAM

PRIOR_DIR = "sam2_prior"


@dataclass(frozen=True)
class PriorSpec:
    """Prior settings (``refiner.prior``) plus the refiner resolution (H, W)."""

    resolution: tuple[int, int]
    clip: float = 20.0
    absent_logit: float = -20.0
    multimask_output: bool = False


def prior_path(work_dir: Path, key: str) -> Path:
    return work_dir / PRIOR_DIR / f"{key}.npy"


def load_prior(path: Path, num_classes: int, hw: tuple[int, int]) -> np.ndarray:
    """(C, H, W) float16 prior; DatasetError naming the file when unreadable or of another shape."""
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DatasetError(f"{path}: prior missing; run the priors step (make_data) first") from None
    except (ValueError, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: unreadable prior ({exc}); delete it and rerun make_data") from None
    return _checked(arr, path, num_classes, hw)


def _checked(arr: np.ndarray, path: Path, num_classes: int, hw: tuple[int, int]) -> np.ndarray:
    want = (num_classes, *hw)
    if arr.dtype != np.float16 or arr.shape != want:
        raise DatasetError(
            f"{path}: prior is {arr.dtype} {tuple(arr.shape)} but this run needs float16 {want} (C, H, W); "
            "it comes from another resolution / class count: use another refiner.work_dir or regenerate"
        )
    return arr


def _finished(path: Path, num_classes: int, hw: tuple[int, int]) -> np.ndarray | None:
    """The verified prior at ``path``, or None when missing / torn (to be redone); another shape is an error."""
    if not path.is_file():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        logger.warning(f"{path}: torn or unreadable, regenerating it")
        return None
    return _checked(arr, path, num_classes, hw)


def check_params(work_dir: Path, params: dict) -> None:
    """Write ``sam2_prior/params.json`` or refuse to mix priors made with other settings."""
    path = work_dir / PRIOR_DIR / "params.json"
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            raise ConfigError(f"{path}: unreadable; delete that sam2_prior/ folder (or only params.json) and rerun") from None
        if old != params:
            diff = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
            raise ConfigError(
                f"{path}: priors there were made with other settings ({', '.join(diff)}); "
                "use another refiner.work_dir or delete that sam2_prior/ folder"
            )
    else:
        write_json(path, params)


def frame_prior(sam: SingleFrameSAM, image: np.ndarray, prompts: dict, num_classes: int, spec: PriorSpec) -> np.ndarray:
    """(C, H, W) float16 letterboxed, clipped prior logits of one frame."""
    box = Letterbox.fit(image.shape[:2], spec.resolution)
    content = np.full((num_classes, box.new_h, box.new_w), spec.absent_logit, np.float32)
    classes = sorted(int(c) for c in prompts["classes"])
    if classes:
        if classes[-1] > num_classes:
            raise DatasetError(f"prompts of {prompts['key']!r} name class {classes[-1]} > num_classes={num_classes}; "
                               "delete prompts/ and rerun make_data")
        docs = [prompts["classes"][str(c)] for c in classes]
        n_pts = max(len(d["points"]) for d in docs)
        coords = np.zeros((len(docs), n_pts, 2), np.float32)
        labels = np.full((len(docs), n_pts), -1, np.int32)
        for i, d in enumerate(docs):
            coords[i, : len(d["points"])] = d["points"]
            labels[i, : len(d["labels"])] = d["labels"]
        boxes = np.array([d["box"] for d in docs], np.float32)
        logits = sam(image, coords, labels, boxes, (box.new_h, box.new_w)).numpy()
        content[[c - 1 for c in classes]] = logits
    out = np.clip(box.place(content, spec.absent_logit), -spec.clip, spec.clip)
    return out.astype(np.float16)


def _iou(pred: np.ndarray, gt: np.ndarray) -> float:
    union = np.count_nonzero(pred | gt)
    return float(np.count_nonzero(pred & gt) / union) if union else float("nan")


def generate_priors(records: Sequence[IndexRecord], meta: IndexMeta, work_dir: Path,
                    model_factory: Callable[[], torch.nn.Module], spec: PriorSpec, model_info: dict,
                    max_frames: int | None = None) -> dict:
    """Write the missing priors of ``records`` (resumable) and ``sam2_prior/summary.json``; returns the
    summary. ``model_factory`` builds the SAM2 model, only when a prior is missing; ``max_frames``
    stops after writing that many (an interrupted run, for tests)."""
    c, hw = meta.num_classes, tuple(spec.resolution)
    check_params(work_dir, {**asdict(spec), "resolution": list(hw), "num_classes": c, "model": model_info})
    for stale in (work_dir / PRIOR_DIR).rglob(".*.npy"):  # temporaries of a killed run (atomic writes)
        stale.unlink()
    sam = None
    written = skipped = processed = 0
    coverage, empty, ious = np.zeros(c, int), np.zeros(c, int), [[] for _ in range(c)]
    empty_keys, failed_keys = [], []
    for i, rec in enumerate(tqdm(records, desc="SAM2 priors", unit="frame")):
        if max_frames is not None and written >= max_frames:
            break
        processed += 1
        path = prior_path(work_dir, rec.key)
        prior = _finished(path, c, hw)
        if prior is None:
            prompts = read_prompts(prompt_path(work_dir, rec.key))
            if sam is None:
                sam = SingleFrameSAM(model_factory(), spec.multimask_output)
            prior = frame_prior(sam, read_image(rec.image_path), prompts, c, spec)
            if not np.isfinite(prior).all():
                failed_keys.append(rec.key)
                prior = np.nan_to_num(prior, nan=spec.absent_logit, posinf=spec.clip, neginf=-spec.clip)
            with atomic_path(path, suffix=".npy") as tmp:
                with open(tmp, "wb") as fh:  # a path would get ".npy" appended
                    np.save(fh, prior)
            written += 1
        else:
            skipped += 1
        full_gt = read_class_map(rec.mask_path, c)
        gt = Letterbox.fit(full_gt.shape, hw).labels(full_gt)
        valid = gt != IGNORE
        for cls in rec.classes_present:
            coverage[cls - 1] += 1
            pred = (prior[cls - 1] > 0) & valid
            if not pred.any():
                empty[cls - 1] += 1
                empty_keys.append(f"{rec.key}#{cls}")
            ious[cls - 1].append(_iou(pred, gt == cls))
    summary = {
        "frames": len(records), "complete": processed == len(records), "written": written, "skipped_verified": skipped,
        "num_classes": c, "resolution": list(hw),
        "class_coverage": {meta.class_names.get(k + 1, str(k + 1)): int(coverage[k]) for k in range(c)},
        "empty": {meta.class_names.get(k + 1, str(k + 1)): int(empty[k]) for k in range(c)},
        "empty_cases": empty_keys[:100], "failed_cases": failed_keys[:100], "num_failed": len(failed_keys),
        "mean_prior_iou": {meta.class_names.get(k + 1, str(k + 1)): (float(np.nanmean(v)) if v else None)
                           for k, v in enumerate(ious)},
        "model": model_info,
    }
    write_json(work_dir / PRIOR_DIR / "summary.json", summary)
    return summary

