"""Parameter groups (per-module learning rates, no decay on biases / norms) and LR schedules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterable, Mapping

import torch
from torch import nn

from sam2_video.errors import ConfigError

NO_DECAY_NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm2d, nn.Embedding)


def _no_decay_names(model: nn.Module) -> set[str]:
    names = set()
    for mod_name, module in model.named_modules():
        for p_name, _ in module.named_parameters(recurse=False):
            full = f"{mod_name}.{p_name}" if mod_name else p_name
            if p_name.endswith("bias") or isinstance(module, NO_DECAY_NORM_TYPES) or "norm" in mod_name.rsplit(".", 1)[-1]:
                names.add(full)
            elif module is model or "pos_embed" in p_name or p_name in ("no_mem_embed", "no_mem_pos_enc", "no_obj_ptr"):
                names.add(full)  # embeddings / tokens stored as bare parameters
    return names


def param_groups(
    model: nn.Module, lr: float, weight_decay: float, lr_multipliers: Mapping[str, float] | None = None
) -> list[dict]:
    """Trainable parameters grouped by (top-level module LR multiplier, decay / no decay)."""
    lr_multipliers = dict(lr_multipliers or {})
    no_decay = _no_decay_names(model)
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    names: dict[tuple[float, bool], list[str]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        mult = float(lr_multipliers.get(name.split(".", 1)[0], 1.0))
        key = (mult, name not in no_decay)
        groups.setdefault(key, []).append(param)
        names.setdefault(key, []).append(name)
    return [
        {"params": params, "lr": lr * mult, "weight_decay": weight_decay if decay else 0.0,
         "name": f"lr_x{mult:g}{'' if decay else '_no_decay'}", "param_names": names[(mult, decay)]}
        for (mult, decay), params in sorted(groups.items())
    ]


@dataclass
class LRSchedule:
    """Multiplicative LR factor per optimiser step: linear warm-up, then cosine / step / constant."""

    name: str = "cosine"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.1  # cosine: final LR = base LR * min_lr_ratio
    step_size: int = 1000  # step: multiply by gamma every step_size steps
    gamma: float = 0.1

    def __post_init__(self) -> None:
        if self.name not in ("cosine", "step", "constant"):
            raise ConfigError(f"optim.scheduler.name={self.name!r}: use cosine, step or constant")

    def factor(self, step: int, total_steps: int) -> float:
        """LR multiplier at optimiser step ``step`` of ``total_steps``."""
        if self.warmup_steps > 0 and step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.name == "constant":
            return 1.0
        if self.name == "step":
            return self.gamma ** ((step - self.warmup_steps) // max(self.step_size, 1))
        progress = min(max(step - self.warmup_steps, 0) / max(total_steps - self.warmup_steps, 1), 1.0)
        return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def trainable_parameters(model: nn.Module) -> Iterable[torch.nn.Parameter]:
    """The parameters with ``requires_grad`` (what the optimiser updates)."""
    return (p for p in model.parameters() if p.requires_grad)


def optimizer_with_schedule(groups: list[dict], optimizer_factory: Callable[..., torch.optim.Optimizer],
                            scheduler: "LRSchedule", total_steps: int) -> dict[str, Any]:
    """Lightning's ``configure_optimizers`` answer: the optimiser over ``param_groups(...)`` and the
    per-step warm-up / decay schedule over ``total_steps`` optimiser steps."""
    for g in groups:
        g.pop("param_names", None)
    optimizer = optimizer_factory(groups)
    factor = partial(scheduler.factor, total_steps=max(int(total_steps), 1))
    sched = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
