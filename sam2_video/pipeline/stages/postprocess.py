"""Light post-processing of binary masks: fill small holes, then a morphological opening."""

from __future__ import annotations

import cv2
import numpy as np

from sam2_video.metrics.metrics import disk


def fill_small_holes(mask: np.ndarray, max_area: int) -> np.ndarray:
    """(H, W) bool with background components of at most ``max_area`` pixels that do not touch the
    border filled (0 = unchanged)."""
    if max_area <= 0 or not mask.any():
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    h, w = mask.shape
    out = mask.copy()
    for k in range(1, n):
        x, y, bw, bh, area = stats[k]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if area <= max_area and not touches:
            out[labels == k] = True
    return out


def open_mask(mask: np.ndarray, radius: int) -> np.ndarray:
    """(H, W) bool opened with a disk of ``radius`` pixels (0 = unchanged): removes specks, thin spurs."""
    if radius <= 0 or not mask.any():
        return mask
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disk(radius)).astype(bool)


def postprocess(masks: np.ndarray, max_hole: int, radius: int) -> np.ndarray:
    """(O, H, W) bool -> (O, H, W) bool, per object: hole fill then opening."""
    if max_hole <= 0 and radius <= 0:
        return masks
    return np.stack([open_mask(fill_small_holes(m, max_hole), radius) for m in masks]) if len(masks) else masks
