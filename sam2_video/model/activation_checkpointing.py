"""Activation checkpointing (``model.activation_checkpointing``): recompute instead of store.

The image encoder's Hiera blocks and the memory-attention layers keep no activations for the
backward pass; each block runs its forward again during backward (``torch.utils.checkpoint``,
non-reentrant, RNG state restored so dropout masks match). Costs about one extra forward of those
blocks per step and saves most of their activation memory (see bench/bench_memory.py).

Only the modules' ``forward`` attribute is replaced, so parameter names, state dicts, checkpoints
and the official export are unchanged. Without gradients (validation, evaluation) or in eval mode
the blocks run as usual.
"""

from __future__ import annotations

from typing import Callable

import torch
from loguru import logger
from torch import nn
from torch.utils.checkpoint import checkpoint


def checkpointed(module: nn.Module) -> None:
    """Make ``module`` recompute its activations in backward (idempotent)."""
    if getattr(module, "_sam2_video_checkpointed", False):
        return
    inner: Callable = module.forward

    def forward(*args, **kwargs):
        if module.training and torch.is_grad_enabled():
            return checkpoint(inner, *args, use_reentrant=False, **kwargs)
        return inner(*args, **kwargs)

    module.forward = forward
    module._sam2_video_checkpointed = True


def enable_activation_checkpointing(net: nn.Module) -> int:
    """Checkpoint every Hiera block of ``net.image_encoder.trunk`` and every memory-attention layer.

    Returns the number of checkpointed blocks.
    """
    blocks = list(net.image_encoder.trunk.blocks) + list(net.memory_attention.layers)
    for block in blocks:
        checkpointed(block)
    logger.info(f"Activation checkpointing on {len(net.image_encoder.trunk.blocks)} image-encoder blocks and "
                f"{len(net.memory_attention.layers)} memory-attention layers")
    return len(blocks)
