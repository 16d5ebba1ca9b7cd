"""The tiny refiner: image (3) + SAM2 prior logits (C) -> C + 1 class logits (background + C classes).

ONNX-friendly ops only (Conv, BatchNorm, ReLU, Sigmoid, Add, Concat, bilinear Resize with a fixed
scale); static (H, W), multiples of 8. The heavy part runs at 1/4 and 1/8 resolution, the full
resolution sees only a thin head, so the cost stays a few % of a SAM2 frame (bench/bench_refiner.py).
Layout (``width`` w, ``head`` k channels):

    x = concat(normalise(image), sigmoid(prior))  (B, 3 + C, H, W), never materialised: each conv on x
                                                  is a conv on the image plus a conv on the prior
    stem   4x4 conv stride 4 -> w, one depthwise-separable block  H/4
    down   depthwise-separable block stride 2 -> 2w               H/8
    blocks ``num_blocks`` residual depthwise-separable blocks, dilations 1, 2, 4, ..., last 1
    up     x2, concat stem features, 1x1 -> w, one block, 1x1 -> k  H/4
    head   x4, + 1x1(x) -> k, ReLU, 1x1 -> C + 1                 H (pointwise only: full res is costly)
    boundary (train-time, optional): 1x1 on the head features -> 1 edge logit

``image`` is RGB in [0, 1] (the ImageNet normalisation is inside the graph); ``prior`` holds raw
logits (the clipped values of the .npy files). About 32 k parameters at the default w = 32, C = 3.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sam2_video.errors import ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class SeparableBlock(nn.Module):
    """Depthwise 3x3 (stride, dilation) + BN + ReLU, pointwise 1x1 + BN (+ residual when shapes match) + ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, padding=dilation, dilation=dilation, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.pw(F.relu(self.bn1(self.dw(x)))))
        return F.relu(x + y if self.residual else y)


class TinyRefiner(nn.Module):
    """See the module docstring; ``forward(image, prior)`` -> (B, C + 1, H, W) logits."""

    def __init__(self, num_classes: int, width: int = 32, num_blocks: int = 4, head: int = 8,
                 boundary_head: bool = True) -> None:
        super().__init__()
        if num_classes < 1 or width < 4 or head < 2 or not 1 <= num_blocks <= 8:
            raise ConfigError(f"refiner.net: num_classes >= 1, width >= 4, head >= 2, num_blocks in 1..8 "
                              f"(got {num_classes}, {width}, {head}, {num_blocks})")
        self.num_classes = int(num_classes)
        w, k = int(width), int(head)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        # the input concat(image, prior) is never materialised: every conv on it is split into two
        self.stem_image, self.stem_prior = nn.Conv2d(3, w, 4, 4, bias=False), nn.Conv2d(num_classes, w, 4, 4, bias=False)
        self.stem = nn.Sequential(nn.BatchNorm2d(w), nn.ReLU(), SeparableBlock(w, w))
        self.down = SeparableBlock(w, 2 * w, stride=2)
        dil = [(1, 2, 4)[i % 3] for i in range(num_blocks - 1)] + [1]
        self.blocks = nn.Sequential(*[SeparableBlock(2 * w, 2 * w, dilation=d) for d in dil])
        self.fuse = nn.Sequential(nn.Conv2d(3 * w, w, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), SeparableBlock(w, w),
                                  nn.Conv2d(w, k, 1))
        # full-resolution head = ReLU(1x1 conv of concat(up(u), x)), computed as up(u) + 1x1(x): a 1x1 conv
        # and bilinear upsampling commute, so the u half is folded into `fuse`
        self.head_image, self.head_prior = nn.Conv2d(3, k, 1), nn.Conv2d(num_classes, k, 1, bias=False)
        self.classifier = nn.Conv2d(k, num_classes + 1, 1)
        self.boundary = nn.Conv2d(k, 1, 1) if boundary_head else None

    def features(self, image: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1], (B, C, H, W) logits -> (B, k, H, W) head features."""
        image, prior = (image - self.mean) / self.std, torch.sigmoid(prior)
        s = self.stem(self.stem_image(image) + self.stem_prior(prior))
        d = self.blocks(self.down(s))
        u = F.interpolate(d, scale_factor=2.0, mode="bilinear", align_corners=False)
        u = self.fuse(torch.cat([u, s], dim=1))
        u = F.interpolate(u, scale_factor=4.0, mode="bilinear", align_corners=False)
        return F.relu(u + self.head_image(image) + self.head_prior(prior))

    def forward(self, image: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1], (B, C, H, W) prior logits -> (B, C + 1, H, W) class logits."""
        return self.classifier(self.features(image, prior))

    def forward_train(self, image: torch.Tensor, prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Class logits and, with the boundary head, (B, 1, H, W) edge logits."""
        f = self.features(image, prior)
        return self.classifier(f), (self.boundary(f) if self.boundary is not None else None)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def prior_logits_as_classes(prior: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) prior logits -> (B, C + 1, H, W) with a zero background logit: argmax = the
    class of the highest positive prior logit, background where every prior logit is <= 0."""
    return F.pad(prior, (0, 0, 0, 0, 1, 0))
