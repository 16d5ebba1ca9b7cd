"""Per-frame quality signals: confidence and doubtful-frame flags (seed 004's QA).

- confidence: mean of ``max(p, 1 - p)`` over the mask and a ``band``-pixel ring around it (where a
  wrong boundary would show), ``p = sigmoid(logit)``; over the whole frame when the mask is empty;
- ``low_conf``: confidence below ``low_confidence``;
- ``big_change``: IoU with the object's previous mask below ``1 - max_change`` (either non-empty);
- ``lost``: the object had a mask on the previous frame and has none now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from sam2_video.metrics.metrics import dilate

BAND_PX = 3


@dataclass(frozen=True)
class QAFlags:
    confidence: float
    low_conf: bool
    big_change: bool
    lost: bool

    @property
    def any(self) -> bool:
        return self.low_conf or self.big_change or self.lost


def confidence(logits: torch.Tensor, mask: np.ndarray, band: int = BAND_PX) -> float:
    """(H, W) logits and (H, W) bool mask -> mean max probability near the mask."""
    p = torch.sigmoid(logits.float())
    certainty = torch.maximum(p, 1 - p).cpu().numpy()
    region = dilate(mask, band) if mask.any() else np.ones_like(mask)
    return float(certainty[region].mean())


def qa_flags(logits: torch.Tensor, mask: np.ndarray, previous: Optional[np.ndarray], low_confidence: float,
             max_change: float) -> QAFlags:
    """Flags of one object on one frame (``previous``: its mask on the previous frame, None at the start)."""
    conf = confidence(logits, mask)
    big = lost = False
    if previous is not None:
        union = np.logical_or(mask, previous).sum()
        iou = np.logical_and(mask, previous).sum() / union if union else 1.0
        big = bool(iou < 1.0 - max_change)
        lost = bool(previous.any() and not mask.any())
    return QAFlags(conf, conf < low_confidence, big, lost)
