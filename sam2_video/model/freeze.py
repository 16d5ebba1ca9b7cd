"""Choose which SAM2 modules train; freeze the rest."""

from __future__ import annotations

from typing import Sequence

from loguru import logger
from torch import nn

from sam2_video.errors import ConfigError


def module_names(model: nn.Module) -> list[str]:
    """Top-level trainable units of a SAM2 model: child modules and direct parameters."""
    names = [n for n, m in model.named_children() if any(True for _ in m.parameters())]
    names += [n for n, _ in model.named_parameters(recurse=False)]
    return sorted(set(names))


def apply_trainable_modules(model: nn.Module, trainable: Sequence[str] | str) -> tuple[int, int]:
    """Set ``requires_grad`` so only ``trainable`` modules (or ``all``) train.

    Returns ``(trainable_params, total_params)``. An unknown name is a ConfigError listing the
    valid names.
    """
    if isinstance(trainable, str):
        trainable = [trainable]
    valid = module_names(model)
    unknown = [n for n in trainable if n != "all" and n not in valid]
    if unknown:
        raise ConfigError(
            f"model.trainable_modules: unknown module(s) {unknown}; valid: all, {', '.join(valid)}"
        )
    train_all = "all" in trainable
    for name, param in model.named_parameters():
        top = name.split(".", 1)[0]
        param.requires_grad = train_all or top in trainable
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_total = sum(p.numel() for p in model.parameters())
    logger.info(
        f"Trainable parameters: {n_train:,} / {n_total:,} ({100.0 * n_train / max(n_total, 1):.1f}%) "
        f"in {sorted(trainable)}"
    )
    return n_train, n_total
