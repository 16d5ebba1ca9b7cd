"""SAM2's input normalisation (ImageNet mean / std on [0, 1] RGB) and its inverse for rendering."""

from __future__ import annotations

import numpy as np
import torch

SAM2_MEAN = (0.485, 0.456, 0.406)
SAM2_STD = (0.229, 0.224, 0.225)


def normalize_frames(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 RGB -> (T, 3, H, W) float32 normalised like SAM2's predictor."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    mean = torch.tensor(SAM2_MEAN).view(1, 3, 1, 1) * 255.0
    inv_std = 1.0 / (torch.tensor(SAM2_STD).view(1, 3, 1, 1) * 255.0)
    return x.sub_(mean).mul_(inv_std).contiguous()


def denormalize_frames(x: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) normalised -> (T, H, W, 3) uint8 RGB."""
    mean = torch.tensor(SAM2_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(SAM2_STD, device=x.device).view(1, 3, 1, 1)
    img = (x.float() * std + mean).clamp(0, 1).mul(255).round().byte()
    return np.ascontiguousarray(img.permute(0, 2, 3, 1).cpu().numpy())
