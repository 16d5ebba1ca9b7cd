"""Point / box / mask prompts sampled from a ground-truth mask, in SAM2's convention (xy pixels).

Coordinates are xy pixel indices (x = column, y = row) as float32, like Meta's samplers
(`sam2.modeling.sam2_utils`); a box is ``x0, y0, x1, y1`` with inclusive max (``mask_to_box``),
i.e. two corner points (SAM2 labels 2 and 3).

Points per object, in this order: the centre point (``include_center``), ``num_pos_points``
positives sampled uniformly inside the mask, ``num_neg_points`` negatives. Labels: 1 positive,
0 negative, -1 padding (coords 0). Negatives come from ``neg_region``:
- ``band`` (default): background pixels within ``max(neg_band_min_px, neg_band_frac * box side)``
  of the object, i.e. a ring around it where a user would click to cut a leak;
- ``box``: background pixels inside the object's tight box; falls back to ``band`` if none;
- ``image``: any background pixel.
When the chosen region is empty the whole background is used; a mask covering the image gets no negatives.

The centre point is the mask pixel farthest from the mask's edge (and the image border), by
`cv2.distanceTransform`; unlike the centroid it is inside ring- or C-shaped masks.

Empty mask (object absent): no positive / centre point (padding rows), negatives sampled anywhere
in the image, box all zeros (``x1 == x0``: test ``box[2] > box[0]`` or the mask before using it).
Deterministic: pass an ``np.random.Generator`` or rely on the generator's own stream seeded by ``seed``.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from sam2_video.errors import ConfigError

NegRegion = Literal["band", "box", "image"]


class PromptGenerator:
    """Sample SAM2 prompts from binary masks (see the module docstring for the exact rules)."""

    def __init__(
        self,
        num_pos_points: int = 1,
        num_neg_points: int = 0,
        include_center: bool = False,
        box_jitter: float = 0.1,
        box_jitter_max_px: float = 20.0,
        neg_region: NegRegion = "band",
        neg_band_frac: float = 0.2,
        neg_band_min_px: int = 4,
        seed: int = 0,
    ) -> None:
        if num_pos_points < 0 or num_neg_points < 0:
            raise ConfigError(f"prompt.num_pos_points={num_pos_points} / prompt.num_neg_points={num_neg_points}: use integers >= 0")
        if neg_region not in ("band", "box", "image"):
            raise ConfigError(f"prompt.neg_region={neg_region!r}: use band, box or image")
        self.num_pos_points = int(num_pos_points)
        self.num_neg_points = int(num_neg_points)
        self.include_center = bool(include_center)
        self.box_jitter = float(box_jitter)
        self.box_jitter_max_px = float(box_jitter_max_px)
        self.neg_region = neg_region
        self.neg_band_frac = float(neg_band_frac)
        self.neg_band_min_px = int(neg_band_min_px)
        self.seed = int(seed)
        self._rng = np.random.default_rng(seed)

    @property
    def num_points(self) -> int:
        """P: point rows per object (fixed, padded)."""
        return int(self.include_center) + self.num_pos_points + self.num_neg_points

    def __repr__(self) -> str:
        return (
            f"PromptGenerator(pos={self.num_pos_points}, neg={self.num_neg_points}, center={self.include_center}, "
            f"box_jitter={self.box_jitter}@{self.box_jitter_max_px}px, neg_region={self.neg_region})"
        )

    # ----------------------------------------------------------------------------------------- points
    def points(self, mask: np.ndarray, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(H, W) bool -> coords (P, 2) float32 xy, labels (P,) int32."""
        rng = rng if rng is not None else self._rng
        mask = np.asarray(mask, dtype=bool)
        h, w = mask.shape
        coords = np.zeros((self.num_points, 2), dtype=np.float32)
        labels = np.full((self.num_points,), -1, dtype=np.int32)
        i = 0
        inside = np.flatnonzero(mask)
        if self.include_center:
            if inside.size:
                coords[i] = center_point(mask)
                labels[i] = 1
            i += 1
        if self.num_pos_points:
            if inside.size:
                pick = _choose(rng, inside, self.num_pos_points)
                coords[i : i + len(pick)] = np.stack([pick % w, pick // w], axis=1)
                labels[i : i + len(pick)] = 1
            i += self.num_pos_points
        if self.num_neg_points:
            region = np.flatnonzero(self.negative_region(mask))
            if region.size:
                pick = _choose(rng, region, self.num_neg_points)
                coords[i : i + len(pick)] = np.stack([pick % w, pick // w], axis=1)
                labels[i : i + len(pick)] = 0
        return coords, labels

    def negative_region(self, mask: np.ndarray) -> np.ndarray:
        """(H, W) bool: where negative points are drawn for ``mask`` (see module docstring)."""
        mask = np.asarray(mask, dtype=bool)
        background = ~mask
        if not mask.any() or self.neg_region == "image":
            return background
        region = None
        if self.neg_region == "box":
            x0, y0, x1, y1 = tight_box(mask).astype(int)
            region = np.zeros_like(mask)
            region[y0 : y1 + 1, x0 : x1 + 1] = True
            region &= background
        if region is None or not region.any():
            x0, y0, x1, y1 = tight_box(mask)
            width = max(self.neg_band_min_px, self.neg_band_frac * max(x1 - x0 + 1, y1 - y0 + 1))
            dist = cv2.distanceTransform(background.astype(np.uint8), cv2.DIST_L2, 5)  # distance to the object
            region = background & (dist <= width)
        return region if region.any() else background

    # ------------------------------------------------------------------------------------------- box
    def box(self, mask: np.ndarray, rng: np.random.Generator | None = None, jitter: bool = True) -> np.ndarray:
        """(H, W) bool -> (4,) float32 tight box, each side moved by U(-1, 1) * min(box_jitter * box
        side, box_jitter_max_px) (Meta: 10 % capped at 20 px), clamped to the image; zeros if empty."""
        rng = rng if rng is not None else self._rng
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return np.zeros(4, dtype=np.float32)
        b = tight_box(mask)
        if jitter and self.box_jitter > 0:
            h, w = mask.shape
            dx = min((b[2] - b[0]) * self.box_jitter, self.box_jitter_max_px)
            dy = min((b[3] - b[1]) * self.box_jitter, self.box_jitter_max_px)
            b = b + rng.uniform(-1.0, 1.0, size=4) * np.array([dx, dy, dx, dy])
            b = np.clip(b, 0, [w - 1, h - 1, w - 1, h - 1])
            b = np.array([min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])])
        return b.astype(np.float32)

    def batch(
        self, masks: np.ndarray, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(N, H, W) bool -> coords (N, P, 2) float32, labels (N, P) int32, boxes (N, 4) float32."""
        n = len(masks)
        coords = np.zeros((n, self.num_points, 2), dtype=np.float32)
        labels = np.full((n, self.num_points), -1, dtype=np.int32)
        boxes = np.zeros((n, 4), dtype=np.float32)
        for i, m in enumerate(masks):
            coords[i], labels[i] = self.points(m, rng)
            boxes[i] = self.box(m, rng)
        return coords, labels, boxes


def tight_box(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool (non-empty) -> (4,) float64 x0, y0, x1, y1 with inclusive max, like sam2's mask_to_box."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1], rows[-1]], dtype=np.float64)


def center_point(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool (non-empty) -> (2,) float32 xy of the mask pixel farthest from its edge and the image border."""
    padded = np.pad(mask.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return np.array([x, y], dtype=np.float32)


def _choose(rng: np.random.Generator, flat_idx: np.ndarray, k: int) -> np.ndarray:
    """k flat indices from ``flat_idx`` (without replacement when there are enough)."""
    return flat_idx[rng.choice(flat_idx.size, size=k, replace=flat_idx.size < k)]
