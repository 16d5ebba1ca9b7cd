"""Frame / mask resizing to the model's square input and its inverse (model masks -> original frame).

Modes (``resize_mode``):
- ``square``: stretch the frame to S x S (what SAM2's own predictor does),
- ``letterbox``: scale by ``S / max(H, W)`` keeping the aspect ratio, placed at the top-left corner,
  padded right / bottom (image padding = ImageNet mean colour, i.e. 0 after normalisation;
  mask padding = False). Point / box coordinates are then a pure scale of the original ones.

Masks use centre-aligned nearest neighbour (cv2 INTER_NEAREST_EXACT / torch "nearest-exact"),
so upsampling and then `inverse_resize` restores the source mask pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.data.mask_io import apply_packed
from sam2_video.errors import ConfigError

ResizeMode = Literal["letterbox", "square"]
RESIZE_MODES = ("letterbox", "square")
PAD_RGB = (124, 116, 104)  # ImageNet mean * 255: zero after SAM2 normalisation


@dataclass(frozen=True)
class ResizeGeometry:
    """How an (H, W) frame maps into the S x S model input: content occupies [0:new_h, 0:new_w]."""

    orig_h: int
    orig_w: int
    size: int
    new_h: int
    new_w: int

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Multipliers from original pixel coordinates to model pixel coordinates (x, y)."""
        return self.new_w / self.orig_w, self.new_h / self.orig_h


def geometry(orig_hw: tuple[int, int], size: int, mode: ResizeMode) -> ResizeGeometry:
    """The resize geometry of an (H, W) frame for model size ``size``."""
    h, w = int(orig_hw[0]), int(orig_hw[1])
    if mode == "square":
        return ResizeGeometry(h, w, size, size, size)
    if mode == "letterbox":
        s = size / max(h, w)
        return ResizeGeometry(h, w, size, max(1, min(size, round(h * s))), max(1, min(size, round(w * s))))
    raise ConfigError(f"data.resize_mode={mode!r}: use one of {', '.join(RESIZE_MODES)}")


def resize_image(img: np.ndarray, geo: ResizeGeometry) -> np.ndarray:
    """(H, W, 3) uint8 -> (S, S, 3) uint8 (area filter when shrinking, bilinear when enlarging)."""
    shrink = geo.new_h < img.shape[0] or geo.new_w < img.shape[1]
    out = cv2.resize(img, (geo.new_w, geo.new_h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    if (geo.new_h, geo.new_w) == (geo.size, geo.size):
        return out
    canvas = np.empty((geo.size, geo.size, 3), dtype=np.uint8)
    canvas[:] = PAD_RGB
    canvas[: geo.new_h, : geo.new_w] = out
    return canvas


def resize_masks(masks: np.ndarray, geo: ResizeGeometry) -> np.ndarray:
    """(N, H, W) bool -> (N, S, S) bool with centre-aligned nearest neighbour."""
    out = np.zeros((masks.shape[0], geo.size, geo.size), dtype=bool)
    out[:, : geo.new_h, : geo.new_w] = apply_packed(  # one resize per 8 objects
        masks, lambda bits: cv2.resize(bits, (geo.new_w, geo.new_h), interpolation=cv2.INTER_NEAREST_EXACT))
    return out


def scale_points(xy: np.ndarray, geo: ResizeGeometry) -> np.ndarray:
    """Original-pixel (..., 2) xy -> model-pixel xy."""
    sx, sy = geo.scale_xy
    return xy * np.array([sx, sy], dtype=np.float32)


def inverse_resize(
    x: torch.Tensor | np.ndarray,
    orig_hw: tuple[int, int],
    mode: ResizeMode,
) -> torch.Tensor | np.ndarray:
    """Map model-resolution maps (..., S, S) back to the original frame (..., H, W).

    Bool masks use centre-aligned nearest neighbour; float maps (logits, probabilities) bilinear.
    Letterbox padding is cropped away first. Returns the input's type (tensor or ndarray).
    """
    is_np = isinstance(x, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(x)) if is_np else x
    size = t.shape[-1]
    if t.shape[-2] != size:
        raise ValueError(f"inverse_resize expects square (..., S, S) maps, got {tuple(t.shape)}")
    geo = geometry(orig_hw, size, mode)
    t = t[..., : geo.new_h, : geo.new_w]
    lead = t.shape[:-2]
    flat = t.reshape(-1, 1, geo.new_h, geo.new_w)
    out_hw = (geo.orig_h, geo.orig_w)
    if flat.shape[0] == 0:
        res = flat.new_zeros((0, 1, *out_hw))
    elif flat.dtype == torch.bool:
        res = F.interpolate(flat.to(torch.uint8), size=out_hw, mode="nearest-exact").bool()
    else:
        res = F.interpolate(flat.float(), size=out_hw, mode="bilinear", align_corners=False).to(flat.dtype)
    res = res.reshape(*lead, *out_hw)
    return res.numpy() if is_np else res
