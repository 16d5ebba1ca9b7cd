"""What an object looks like in SAM2's own image features: the identity check of confirmed re-prompting.

:func:`appearance` pools the image encoder's feature maps (every FPN level SAM2 keeps,
``FrameFeatures.backbone["backbone_fpn"]``) inside a mask, L2-normalises each level's (C,) vector and
concatenates them scaled by ``1 / sqrt(levels)``; the dot product of two such vectors
(:func:`similarity`) is then the mean over levels of the cosine similarities, in [-1, 1]. On the
occlusion scenes (debug SAM2 fitted on them) the object against itself a few frames apart scores
0.75-1.0, the occluder against the object -0.1-0.4 (docs/streaming.md); no extra network, no
extra encoder pass: the features are the ones SAM2 computed for the frame anyway.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


@torch.inference_mode()
def appearance(backbone: dict, mask: torch.Tensor) -> np.ndarray:
    """``backbone``: SAM2 ``forward_image`` output of one frame (``backbone_fpn``: list of (1, C_l, h_l, w_l));
    ``mask``: (1, 1, S, S) float {0, 1} in model space -> (sum C_l,) float32; zeros for an empty mask."""
    levels = backbone["backbone_fpn"]
    parts = []
    for f in levels:
        m = F.interpolate(mask.to(f.device, torch.float32), size=f.shape[-2:], mode="area")[0, 0]  # (h, w) coverage
        v = (f[0].float() * m).sum((1, 2)) / m.sum().clamp(min=1e-6)  # (C,) mean feature inside the mask
        parts.append(F.normalize(v, dim=0) / math.sqrt(len(levels)))
    return torch.cat(parts).cpu().numpy().astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-level cosine similarity of two :func:`appearance` vectors, in [-1, 1]."""
    return float(np.dot(a, b))
