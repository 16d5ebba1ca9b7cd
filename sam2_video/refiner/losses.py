"""Refiner loss: ``ce * CE + dice * soft Dice (+ boundary * edge BCE)`` (seed 004: 1, 0.5, 0.2).

- CE: softmax cross-entropy over the C + 1 logits, ``IGNORE`` pixels (letterbox / warp border) skipped.
- Dice: 1 - mean over the C foreground classes of the soft Dice ``2 sum(p g) / (sum p + sum g)``,
  summed over the batch's valid pixels (classes absent from both prediction and batch count 1).
- Temporal (optional, ``temporal`` > 0, train-time only): on adjacent annotated frames of one video
  (same augmentation), the mean total-variation distance ``0.5 sum_k |p_t,k - p_t+1,k|`` between the
  two softmax maps over pixels valid in both; no optical flow (a small-motion prior, seed 004).
- Boundary: binary cross-entropy (``boundary_pos_weight`` on edge pixels) between the boundary
  head's logit and the ground-truth edge map: pixels whose 3x3 neighbourhood holds another class.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sam2_video.errors import ConfigError
from sam2_video.pipeline.letterbox import IGNORE


def edge_map(target: torch.Tensor) -> torch.Tensor:
    """(B, H, W) int64 class map -> (B, H, W) float edges (1 where the 3x3 neighbourhood differs);
    ``IGNORE`` pixels are treated as their own class (their border counts only inside valid pixels)."""
    t = target.float().unsqueeze(1)
    hi = F.max_pool2d(t, 3, 1, 1)
    lo = -F.max_pool2d(-t, 3, 1, 1)
    return (hi != lo).squeeze(1).float()


@dataclass
class RefinerLoss:
    """Weighted sum of CE, Dice and boundary terms; call returns (total, {name: value})."""

    ce: float = 1.0
    dice: float = 0.5
    boundary: float = 0.2
    boundary_pos_weight: float = 5.0
    temporal: float = 0.0

    def __post_init__(self) -> None:
        if self.temporal < 0 or min(self.ce, self.dice, self.boundary) < 0 or self.ce + self.dice + self.boundary <= 0:
            raise ConfigError(f"refiner.loss weights must be >= 0 and not all 0 (got {self})")

    def __call__(self, logits: torch.Tensor, target: torch.Tensor, edge_logits: torch.Tensor | None = None
                 ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """logits (B, C + 1, H, W), target (B, H, W) int64 (``IGNORE`` skipped), edge_logits (B, 1, H, W)."""
        logits = logits.float()
        valid = target != IGNORE
        terms: dict[str, torch.Tensor] = {}
        if self.ce:
            terms["ce"] = F.cross_entropy(logits, target, ignore_index=IGNORE)
        if self.dice:
            probs = logits.softmax(1)[:, 1:] * valid.unsqueeze(1)
            onehot = F.one_hot(torch.where(valid, target, 0), logits.shape[1])[..., 1:].permute(0, 3, 1, 2).float()
            inter = (probs * onehot).sum((0, 2, 3))
            total = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
            terms["dice"] = 1 - ((2 * inter + 1.0) / (total + 1.0)).mean()
        if self.boundary:
            if edge_logits is None:
                raise ConfigError("refiner.loss.boundary > 0 needs refiner.net.boundary_head=true (or set the weight to 0)")
            edges = edge_map(target)
            bce = F.binary_cross_entropy_with_logits(
                edge_logits.float().squeeze(1), edges, reduction="none",
                pos_weight=torch.tensor(self.boundary_pos_weight, device=logits.device))
            terms["boundary"] = (bce * valid).sum() / valid.sum().clamp(min=1)
        weights = {"ce": self.ce, "dice": self.dice, "boundary": self.boundary}
        total_loss = sum(weights[k] * v for k, v in terms.items())
        return total_loss, terms


def temporal_consistency(logits: torch.Tensor, next_logits: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean over ``valid`` (B, H, W) pixels of the total-variation distance between two (B, K, H, W) softmax maps."""
    tv = 0.5 * (logits.float().softmax(1) - next_logits.float().softmax(1)).abs().sum(1)
    return (tv * valid).sum() / valid.sum().clamp(min=1)
