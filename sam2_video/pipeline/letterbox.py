"""Letterboxing to the refiner's fixed (H, W) inference resolution.

The frame is scaled by ``min(H / h, W / w)`` (aspect ratio kept) and placed at the top-left corner;
the rest is padding: image -> ``PAD_RGB`` (ImageNet mean colour), class map -> ``IGNORE`` (not
scored, not trained on), prior logits -> a fill value (the "absent" logit). Coordinates are a pure
scale of the original ones, so the same `Letterbox` maps image, prior and ground truth identically.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sam2_video.data.resize import PAD_RGB

IGNORE = 255  # class-map value of letterbox padding / pixels outside the image after augmentation


@dataclass(frozen=True)
class Letterbox:
    """How an (h, w) frame maps into the (H, W) refiner input: content occupies [0:new_h, 0:new_w]."""

    orig_h: int
    orig_w: int
    out_h: int
    out_w: int
    new_h: int
    new_w: int

    @classmethod
    def fit(cls, orig_hw: tuple[int, int], out_hw: tuple[int, int]) -> "Letterbox":
        h, w = int(orig_hw[0]), int(orig_hw[1])
        oh, ow = int(out_hw[0]), int(out_hw[1])
        s = min(oh / h, ow / w)
        return cls(h, w, oh, ow, max(1, min(oh, round(h * s))), max(1, min(ow, round(w * s))))

    def _place(self, content: np.ndarray, fill) -> np.ndarray:
        out = np.empty((self.out_h, self.out_w, *content.shape[2:]), dtype=content.dtype)
        out[...] = fill
        out[: self.new_h, : self.new_w] = content
        return out

    def image(self, img: np.ndarray) -> np.ndarray:
        """(h, w, 3) uint8 -> (H, W, 3) uint8 (area filter when shrinking, bilinear when enlarging)."""
        interp = cv2.INTER_AREA if self.new_h < img.shape[0] else cv2.INTER_LINEAR
        return self._place(cv2.resize(img, (self.new_w, self.new_h), interpolation=interp), PAD_RGB)

    def labels(self, labels: np.ndarray) -> np.ndarray:
        """(h, w) uint8 class map -> (H, W) uint8, nearest neighbour, padding = ``IGNORE``."""
        small = cv2.resize(labels, (self.new_w, self.new_h), interpolation=cv2.INTER_NEAREST_EXACT)
        return self._place(small, IGNORE)

    def place(self, maps: np.ndarray, fill: float) -> np.ndarray:
        """(C, new_h, new_w) float maps already at the content size -> (C, H, W) float32, padding = ``fill``."""
        out = np.full((maps.shape[0], self.out_h, self.out_w), fill, dtype=np.float32)
        out[:, : self.new_h, : self.new_w] = maps
        return out
