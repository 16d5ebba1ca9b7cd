"""How a video frame maps to SAM2's S x S input and back, for evaluation.

- ``meta`` (default): exactly ``SAM2VideoPredictor``: PIL resize (bicubic) of the frame to S x S,
  points scaled by (S / W, S / H), mask prompts resized bilinear + antialias then ``>= 0.5``,
  low-res logits resized bilinear to (H, W).
- ``data``: the training pipeline's resize (``sam2_video.data.resize``, ``data.resize_mode``
  square or letterbox), for models fine-tuned with it; logits are upsampled to S x S, the
  letterbox padding is cropped and the rest resized bilinear to (H, W).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from sam2_video.data.normalize import SAM2_MEAN, SAM2_STD
from sam2_video.data.resize import geometry, inverse_resize, resize_image, resize_masks

GEOMETRY_MODES = ("meta", "data")

def _normalisation_table() -> np.ndarray:
    """(3, 256) float32: channel c's normalised value of each uint8 level, computed with the very
    operations of Meta's loader (``v / 255`` in float64, cast to float32, ``(x - mean) / std`` in
    float32), so a table look-up gives bit-identical inputs at a fraction of the cost."""
    levels = torch.from_numpy(np.arange(256) / 255.0).float()[None]  # (1, 256)
    mean = torch.tensor(SAM2_MEAN, dtype=torch.float32)[:, None]
    std = torch.tensor(SAM2_STD, dtype=torch.float32)[:, None]
    return ((levels - mean) / std).numpy()


_TABLE = _normalisation_table()


def normalise(img: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (3, H, W) float32 SAM2-normalised (equal to Meta's loader)."""
    out = np.empty((3, *img.shape[:2]), dtype=np.float32)
    for c in range(3):
        np.take(_TABLE[c], img[..., c], out=out[c])
    return torch.from_numpy(out)


class FrameGeometry:
    """Frame -> model input, prompts -> model coordinates, low-res logits -> frame logits."""

    def __init__(self, height: int, width: int, image_size: int, mode: str = "meta", resize_mode: str = "square") -> None:
        if mode not in GEOMETRY_MODES:
            raise ValueError(f"geometry mode must be one of {GEOMETRY_MODES}, got {mode!r}")
        self.height, self.width, self.size = int(height), int(width), int(image_size)
        self.mode = mode
        self.resize_mode = resize_mode if mode == "data" else "square"
        self._geo = geometry((self.height, self.width), self.size, self.resize_mode) if mode == "data" else None

    def image(self, img: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 RGB -> (3, S, S) float32, SAM2-normalised."""
        if self.mode == "meta":  # Meta's loader: PIL bicubic resize of the whole frame to S x S
            return normalise(np.asarray(Image.fromarray(img).resize((self.size, self.size))))
        return normalise(np.asarray(resize_image(img, self._geo), dtype=np.uint8))

    def points(self, xy: np.ndarray) -> torch.Tensor:
        """(..., 2) video-pixel xy -> model-pixel xy, float32."""
        t = torch.as_tensor(np.asarray(xy, dtype=np.float32))
        if self.mode == "meta":
            return t / torch.tensor([self.width, self.height]) * self.size
        sx, sy = self._geo.scale_xy
        return t * torch.tensor([sx, sy], dtype=torch.float32)

    def mask(self, mask: np.ndarray) -> torch.Tensor:
        """(H, W) bool -> (1, 1, S, S) float32 in {0, 1}."""
        if self.mode == "data":
            return torch.from_numpy(resize_masks(np.asarray(mask, bool)[None], self._geo)).float()[None]
        m = torch.from_numpy(np.ascontiguousarray(mask, dtype=bool))[None, None].float()
        if m.shape[-2:] != (self.size, self.size):
            m = F.interpolate(m, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
            m = (m >= 0.5).float()
        return m

    def logits(self, low_res: torch.Tensor) -> torch.Tensor:
        """(O, 1, h, w) low-res logits -> (O, H, W) float32 logits at the frame resolution."""
        low_res = low_res.float()
        if self.mode == "meta":
            if low_res.shape[-2:] != (self.height, self.width):
                low_res = F.interpolate(low_res, size=(self.height, self.width), mode="bilinear", align_corners=False)
            return low_res[:, 0]
        full = F.interpolate(low_res, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return inverse_resize(full[:, 0], (self.height, self.width), self.resize_mode)
