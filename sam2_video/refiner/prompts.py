"""Deterministic per-class prompts from a ground-truth class map, saved as ``<key>.prompts.json``.

For each class c present in the frame (mask ``labels == c``), in original-image pixels (x = column):
- positives (``num_pos``): the first is the "core" pixel nearest to the mask centroid, where the core
  is the mask pixels whose distance to the mask edge is >= half the maximum (so it is inside the
  mask even for C- or ring-shaped masks, and near the centroid); further positives are seeded draws
  from the core;
- negatives (``num_neg``, 0-2): seeded draws among background pixels at distance ``neg_band_px[0]``
  to ``neg_band_px[1]`` from the mask, i.e. just outside its boundary (none if that band is empty);
- box: the tight box x0, y0, x1, y1 with inclusive max (`sam2_video.prompt.sampler.tight_box`).
The generator of class c in frame ``key`` is seeded with ``(seed, crc32(key), c)``: the same index
and seed give byte-identical files (JSON, sorted keys, integer coordinates).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from sam2_video.atomic import write_text
from sam2_video.prompt.sampler import tight_box
from sam2_video.errors import ConfigError, DatasetError

PROMPT_SUFFIX = ".prompts.json"


@dataclass(frozen=True)
class PriorPromptSpec:
    """How many points of each kind, where negatives go, and the seed."""

    num_pos: int = 1
    num_neg: int = 2
    neg_band_px: Sequence[int] = (2, 6)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.num_pos < 1 or not 0 <= self.num_neg <= 2:
            raise ConfigError(f"refiner.prompts: num_pos >= 1 and num_neg in 0..2 (got {self.num_pos}, {self.num_neg})")
        lo, hi = self.neg_band_px
        if not 1 <= lo <= hi:
            raise ConfigError(f"refiner.prompts.neg_band_px={list(self.neg_band_px)}: need 1 <= min <= max")


def class_prompt(mask: np.ndarray, spec: PriorPromptSpec, rng: np.random.Generator) -> dict:
    """(H, W) bool non-empty mask -> {"points": [[x, y], ...], "labels": [1.., 0..], "box": [x0, y0, x1, y1]}."""
    h, w = mask.shape
    inside = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    core = np.flatnonzero(inside >= 0.5 * inside.max())
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean(), xs.mean()
    d2 = (core // w - cy) ** 2 + (core % w - cx) ** 2
    picks = [int(core[np.argmin(d2)])]
    if spec.num_pos > 1:
        picks += [int(i) for i in rng.choice(core, size=spec.num_pos - 1, replace=core.size < spec.num_pos - 1)]
    labels = [1] * len(picks)
    if spec.num_neg:
        outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
        lo, hi = spec.neg_band_px
        band = np.flatnonzero(~mask.ravel() & (outside.ravel() >= lo) & (outside.ravel() <= hi))
        if band.size:
            neg = rng.choice(band, size=min(spec.num_neg, band.size), replace=False)
            picks += [int(i) for i in neg]
            labels += [0] * len(neg)
    return {"points": [[i % w, i // w] for i in picks], "labels": labels,
            "box": [int(v) for v in tight_box(mask)]}


def frame_prompts(key: str, labels: np.ndarray, classes: Sequence[int], spec: PriorPromptSpec) -> dict:
    """The prompts document of one frame (``classes``: ids present in ``labels``)."""
    out = {}
    for c in classes:
        rng = np.random.default_rng([spec.seed, zlib.crc32(key.encode()), int(c)])
        out[str(int(c))] = class_prompt(labels == c, spec, rng)
    return {"key": key, "height": int(labels.shape[0]), "width": int(labels.shape[1]), "seed": spec.seed,
            "classes": out}


def prompt_path(work_dir: Path, key: str) -> Path:
    return work_dir / "prompts" / f"{key}{PROMPT_SUFFIX}"


def write_prompts(path: Path, doc: dict) -> bool:
    """Atomically write ``doc`` unless the file already holds exactly these bytes; True if written."""
    text = json.dumps(doc, sort_keys=True, indent=1) + "\n"
    if path.is_file() and path.read_text() == text:
        return False
    write_text(path, text)
    return True


def read_prompts(path: Path) -> dict:
    """A saved prompts document; DatasetError naming the file when missing or malformed."""
    try:
        doc = json.loads(path.read_text())
        for c, p in doc["classes"].items():
            int(c)
            if len(p["points"]) != len(p["labels"]) or len(p["box"]) != 4:
                raise ValueError(f"class {c}: points / labels / box sizes")
        return doc
    except FileNotFoundError:
        raise DatasetError(f"{path}: prompts missing; run the prompts step (make_data) first") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: malformed prompts ({exc}); delete it and rerun make_data") from None
