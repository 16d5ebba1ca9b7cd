"""Temporal EMA on mask logits: ``s_t = alpha * s_{t-1} + (1 - alpha) * x_t`` (alpha in [0, 1), 0 = off).

Objects are keyed by id so that objects starting later (or re-seeded) start from their own logits.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import torch

from sam2_video.errors import ConfigError


def check_alpha(alpha: float) -> float:
    a = float(alpha)
    if not 0.0 <= a < 1.0:
        raise ConfigError(f"stream.ema_alpha={alpha!r}: the EMA weight of the past must be in [0, 1) (0 = off)")
    return a


def ema_update(previous: Mapping[int, torch.Tensor], logits: torch.Tensor, object_ids: Sequence[int],
               alpha: float, restart: Optional[set[int]] = None) -> dict[int, torch.Tensor]:
    """Smoothed logits per object id.

    ``previous``: object id -> (H, W) smoothed logits of the last frame; ``logits`` (O, H, W) of this
    frame in ``object_ids`` order; objects in ``restart`` (re-seeded) or new ones take ``logits`` as is.
    """
    a = check_alpha(alpha)
    restart = restart or set()
    out = {}
    for i, oid in enumerate(object_ids):
        prev = previous.get(oid)
        x = logits[i]
        out[oid] = x if prev is None or oid in restart or a == 0.0 else a * prev + (1.0 - a) * x
    return out
