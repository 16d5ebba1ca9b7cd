"""Mask metrics, exact and dependency-light: numpy bool masks in, Python float out.

Definitions (see /work/shared/reference/formats-and-metrics.md and docs/eval.md):

- J, region similarity: ``|P & G| / |P | G|``; 1.0 when both masks are empty.
- F, boundary F-measure (DAVIS): boundary maps from :func:`boundary_map`, each dilated with a disk
  of radius ``r = ceil(bound_th * sqrt(H^2 + W^2))`` (``r = bound_th`` when ``bound_th >= 1``);
  precision ``|P_b & dil(G_b)| / |P_b|``, recall ``|G_b & dil(P_b)| / |G_b|``; empty cases: only
  ``P_b`` empty -> P=1, R=0; only ``G_b`` empty -> P=0, R=1; both -> P=R=1. ``F = 2PR / (P + R)``,
  0 when ``P + R == 0``.
- Dice: ``2|P & G| / (|P| + |G|)``, ``empty_score`` (default 1.0, the ternaus convention) when
  both are empty.
- IoU: the J formula, but ``empty_score`` (default NaN = "frame not counted") when both are empty.
- Recall of a per-frame score (J-recall, F-recall): fraction of frames with score > 0.5.

Masks are never thresholded here: pass booleans (``probs > threshold`` is the caller's business).
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

DEFAULT_BOUND_TH = 0.008


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must be the same (H, W) shape")
    if pred.dtype != bool or gt.dtype != bool:
        raise TypeError(f"masks must be bool (got {pred.dtype}, {gt.dtype}); threshold them first")
    return pred, gt


def region_similarity(pred: np.ndarray, gt: np.ndarray) -> float:
    """J = |P & G| / |P | G| of two (H, W) bool masks; 1.0 when both are empty."""
    return iou(pred, gt, empty_score=1.0)


def iou(pred: np.ndarray, gt: np.ndarray, empty_score: float = math.nan) -> float:
    """IoU of two (H, W) bool masks; ``empty_score`` (NaN: skip the frame) when both are empty."""
    pred, gt = _check_pair(pred, gt)
    union = int(np.count_nonzero(pred | gt))
    if union == 0:
        return float(empty_score)
    return int(np.count_nonzero(pred & gt)) / union


def dice(pred: np.ndarray, gt: np.ndarray, empty_score: float = 1.0) -> float:
    """Dice = 2|P & G| / (|P| + |G|); ``empty_score`` when both are empty."""
    pred, gt = _check_pair(pred, gt)
    total = int(np.count_nonzero(pred)) + int(np.count_nonzero(gt))
    if total == 0:
        return float(empty_score)
    return 2.0 * int(np.count_nonzero(pred & gt)) / total


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """DAVIS boundary map of a (H, W) bool mask, (H, W) bool.

    A pixel is a boundary pixel when it differs from its east, south or south-east neighbour;
    the last row compares east only, the last column south only, the bottom-right corner is 0.
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be (H, W), got {m.shape}")
    b = np.zeros_like(m)
    b[:-1, :-1] = (m[:-1, :-1] != m[:-1, 1:]) | (m[:-1, :-1] != m[1:, :-1]) | (m[:-1, :-1] != m[1:, 1:])
    b[-1, :-1] = m[-1, :-1] != m[-1, 1:]  # last row: east only
    b[:-1, -1] = m[:-1, -1] != m[1:, -1]  # last column: south only
    b[-1, -1] = False
    return b


def boundary_radius(shape: tuple[int, int], bound_th: float = DEFAULT_BOUND_TH) -> int:
    """Dilation radius in pixels: ``bound_th`` if >= 1, else ``ceil(bound_th * diagonal)``."""
    if bound_th >= 1:
        return int(round(bound_th))
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


@lru_cache(maxsize=32)
def disk(radius: int) -> np.ndarray:
    """Disk structuring element ``x^2 + y^2 <= r^2``, (2r+1, 2r+1) uint8 (skimage ``disk``)."""
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return (x * x + y * y <= radius * radius).astype(np.uint8)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of a (H, W) bool mask with :func:`disk` (pixels outside the image ignored)."""
    if radius <= 0:
        return mask.copy()
    return cv2.dilate(mask.view(np.uint8), disk(radius)).view(bool)


def boundary_precision_recall(
    pred: np.ndarray, gt: np.ndarray, bound_th: float = DEFAULT_BOUND_TH
) -> tuple[float, float]:
    """Boundary (precision, recall) with the DAVIS empty-boundary conventions."""
    pred, gt = _check_pair(pred, gt)
    r = boundary_radius(pred.shape, bound_th)
    pb, gb = boundary_map(pred), boundary_map(gt)
    n_p, n_g = int(np.count_nonzero(pb)), int(np.count_nonzero(gb))
    if n_p == 0 and n_g == 0:
        return 1.0, 1.0
    if n_p == 0:
        return 1.0, 0.0
    if n_g == 0:
        return 0.0, 1.0
    precision = int(np.count_nonzero(pb & dilate(gb, r))) / n_p
    recall = int(np.count_nonzero(gb & dilate(pb, r))) / n_g
    return precision, recall


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray, bound_th: float = DEFAULT_BOUND_TH) -> float:
    """F, the DAVIS boundary F-measure of two (H, W) bool masks: ``2PR / (P + R)``, 0 when ``P + R == 0``."""
    precision, recall = boundary_precision_recall(pred, gt, bound_th)
    if precision + recall == 0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def recall_of(scores: np.ndarray | list[float], above: float = 0.5) -> float:
    """Fraction of (non-NaN) per-frame scores strictly above ``above`` (J-recall, F-recall); NaN if none."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[~np.isnan(s)]
    if s.size == 0:
        return math.nan
    return float(np.count_nonzero(s > above)) / s.size
