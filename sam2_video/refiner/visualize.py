"""Overlay panels of one validation frame: image | ground truth | SAM2 prior | refined (``val_vis/``)."""

from __future__ import annotations

import numpy as np

from sam2_video.data.visualize import draw_labels, hstack, titled
from sam2_video.pipeline.letterbox import IGNORE


def overlay_panel(image: np.ndarray, gt: np.ndarray, prior: np.ndarray, refined: np.ndarray,
                  scores: tuple[float, float] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB + three (H, W) class maps -> (H + bar, 4 W + gaps, 3) uint8 RGB.

    Colours follow class ids (DAVIS palette); ``IGNORE`` pixels are drawn as background.
    ``scores``: (prior Dice, refined Dice) written in the titles."""
    gt = np.where(gt == IGNORE, 0, gt)
    p_t, r_t = ("prior", "refined") if scores is None else (f"prior {scores[0]:.2f}", f"refined {scores[1]:.2f}")
    panels = [titled(image, "image"), titled(draw_labels(image, gt), "ground truth"),
              titled(draw_labels(image, prior), p_t), titled(draw_labels(image, refined), r_t)]
    return hstack(panels)
