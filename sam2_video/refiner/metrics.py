"""Per-class Dice, IoU and Boundary F of class maps, prior vs refined.

Definitions (per frame and class c = 1..C, on the frame's valid pixels, i.e. not ``IGNORE``):
- Dice ``2|P & G| / (|P| + |G|)`` and IoU ``|P & G| / |P | G|`` (sam2_video.metrics.metrics);
- Boundary F: the DAVIS boundary F-measure (`sam2_video.metrics.metrics.boundary_f_measure`):
  boundary maps matched within a disk of radius ``ceil(bound_th * diagonal)``, ``bound_th`` = 0.008
  by default (2 px at 128 x 128, 6 px at 512 x 512), on the crop of the valid pixels;
- a (frame, class) pair where both P and G are empty is not counted (NaN); one empty side scores 0.
Per-class score = mean over the counted frames; ``mean`` = mean over the classes that have a score.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from sam2_video.metrics.metrics import DEFAULT_BOUND_TH, boundary_f_measure, dice, iou
from sam2_video.pipeline.letterbox import IGNORE

METRICS = ("dice", "iou", "bf")


def frame_scores(pred: np.ndarray, gt: np.ndarray, num_classes: int, bound_th: float = DEFAULT_BOUND_TH) -> np.ndarray:
    """(H, W) int class maps (``gt`` may hold ``IGNORE``) -> (3, C) float: dice, iou, bf; NaN = not counted."""
    valid = gt != IGNORE
    rows, cols = np.flatnonzero(valid.any(1)), np.flatnonzero(valid.any(0))
    out = np.full((3, num_classes), math.nan)
    if rows.size == 0:
        return out
    crop = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    pred, gt, valid = pred[crop], gt[crop], valid[crop]
    for c in range(1, num_classes + 1):
        p, g = (pred == c) & valid, gt == c
        if not (p.any() or g.any()):
            continue
        out[:, c - 1] = dice(p, g), iou(p, g), boundary_f_measure(p, g, bound_th)
    return out


class ScoreBook:
    """Collects `frame_scores` of many frames; `summary` gives per-class and mean scores."""

    def __init__(self, num_classes: int, class_names: dict[int, str] | None = None,
                 bound_th: float = DEFAULT_BOUND_TH) -> None:
        self.num_classes, self.bound_th = int(num_classes), float(bound_th)
        self.names = {c: (class_names or {}).get(c, str(c)) for c in range(1, num_classes + 1)}
        self.rows: list[np.ndarray] = []

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        self.rows.append(frame_scores(pred, gt, self.num_classes, self.bound_th))

    def summary(self) -> dict[str, float]:
        """{"dice": mean, "iou": .., "bf": .., "dice/<class>": .., ...}; NaN when nothing was counted."""
        if not self.rows:
            return {m: math.nan for m in METRICS}
        stack = np.stack(self.rows)  # (N, 3, C)
        out: dict[str, float] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: class never counted
            per_class = np.nanmean(stack, axis=0)  # (3, C)
            for i, m in enumerate(METRICS):
                out[m] = float(np.nanmean(per_class[i])) if np.isfinite(per_class[i]).any() else math.nan
                for c in range(1, self.num_classes + 1):
                    out[f"{m}/{self.names[c]}"] = float(per_class[i, c - 1])
        return out
