"""Evaluation prompts derived from ground-truth masks (point / box / mask), in video pixels.

Deterministic: the random points of (video, object, frame) depend only on ``seed`` and those ids,
so re-runs and different machines prompt identically.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal, Optional

import cv2
import numpy as np

PromptKind = Literal["point", "box", "mask"]
PROMPT_KINDS = ("point", "box", "mask")


@dataclass(frozen=True)
class Prompt:
    """One object's prompt on one frame; coordinates are xy in video pixels."""

    kind: PromptKind
    points: Optional[np.ndarray] = None  # (P, 2) float32 xy
    labels: Optional[np.ndarray] = None  # (P,) int32: 1 positive, 0 negative
    box: Optional[np.ndarray] = None  # (4,) float32 x0, y0, x1, y1
    mask: Optional[np.ndarray] = None  # (H, W) bool

    @property
    def signature(self) -> tuple:
        """Objects with equal signatures can share one batched SAM call."""
        n = 0 if self.points is None else len(self.points)
        return (self.kind, n)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """Tight box (x0, y0, x1, y1) of a non-empty (H, W) bool mask, pixel-corner coordinates."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)


def center_point(mask: np.ndarray) -> np.ndarray:
    """The mask pixel farthest from the background (first one on ties), xy at the pixel centre."""
    padded = np.pad(mask.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return np.array([x + 0.5, y + 0.5], dtype=np.float32)


def _sample(mask: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    if n <= 0 or ys.size == 0:
        return np.zeros((0, 2), np.float32)
    idx = rng.choice(ys.size, size=n, replace=ys.size < n)
    return np.stack([xs[idx] + 0.5, ys[idx] + 0.5], axis=1).astype(np.float32)


class EvalPromptFactory:
    """Build the prompt of an object from its GT mask on a frame (``eval.prompt_type`` & co).

    Point prompts: the centre point (if ``include_center``) + ``num_pos_points`` random mask
    pixels + ``num_neg_points`` random background pixels, positives first.
    """

    def __init__(self, kind: str, num_pos_points: int = 1, num_neg_points: int = 0,
                 include_center: bool = True, seed: int = 0) -> None:
        if kind not in PROMPT_KINDS:
            raise ValueError(f"unknown prompt kind {kind!r}; use one of {PROMPT_KINDS}")
        if kind == "point" and num_pos_points + num_neg_points + int(include_center) == 0:
            raise ValueError("point prompts need num_pos_points + num_neg_points + include_center >= 1")
        self.kind = kind
        self.num_pos = int(num_pos_points)
        self.num_neg = int(num_neg_points)
        self.include_center = bool(include_center)
        self.seed = int(seed)

    def __call__(self, mask: np.ndarray, video_id: str, object_id: int, frame: int) -> Prompt:
        """Prompt for a GT mask; an empty mask always gives an (empty) mask prompt."""
        if not mask.any() or self.kind == "mask":
            return Prompt("mask", mask=mask)
        if self.kind == "box":
            return Prompt("box", box=mask_box(mask))
        rng = np.random.default_rng([self.seed, zlib.crc32(video_id.encode()), int(object_id) & 0xFFFFFFFF, frame])
        pos = [center_point(mask)[None]] if self.include_center else []
        pos.append(_sample(mask, self.num_pos, rng))
        neg = _sample(~mask, self.num_neg, rng)
        pts = np.concatenate(pos + [neg], axis=0)
        labels = np.concatenate([np.ones(len(pts) - len(neg), np.int32), np.zeros(len(neg), np.int32)])
        return Prompt("point", points=pts, labels=labels)
