"""LoRA adapters on SAM2 (``model.lora``), with the ``peft`` library.

``apply_lora(net, cfg)`` injects LoRA into the layers whose module names match
``cfg.target_modules`` (glob patterns such as ``image_encoder.trunk.blocks.*.attn.qkv``; Linear,
Conv and Embedding layers). After it, the trainable parameters are the adapters plus whatever
``model.trainable_modules`` made trainable before (the wrapped base layers stay as they were).

State-dict names change inside a wrapped layer: ``<layer>.weight`` becomes
``<layer>.base_layer.weight`` next to ``<layer>.lora_A.default.weight`` / ``lora_B``.
``merged_state_dict`` gives back Meta's names with the adapters merged into the base weights
(``W + scale * B @ A``), which is what ``save_official`` writes: Meta's ``build_sam2_video_predictor``
loads it unchanged and predicts what the adapted model predicts.

The Lightning checkpoint of a LoRA run stores the trainable tensors only (``trainable_state``):
the frozen base comes from ``model.checkpoint_path`` when the run is rebuilt.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Mapping, Optional, Sequence

import torch
from loguru import logger
from torch import nn

from sam2_video.errors import ConfigError

ADAPTER = "default"
BASE = ".base_layer"
LORA_MARK = ".lora_"  # in every adapter tensor name (lora_A, lora_B, lora_embedding_A, ...)
_SUPPORTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding)


def official_name(name: str) -> str:
    """``a.qkv.base_layer.weight`` -> ``a.qkv.weight`` (other names unchanged)."""
    return name.replace(BASE + ".", ".")


def is_adapter(name: str) -> bool:
    return LORA_MARK in name


def has_lora(model: nn.Module) -> bool:
    """True when ``model`` carries LoRA adapters."""
    return any(is_adapter(n) for n, _ in model.named_parameters())


def match_targets(model: nn.Module, patterns: Sequence[str]) -> list[str]:
    """Names of the supported layers of ``model`` matching any glob in ``patterns`` (sorted).

    A pattern that matches no supported layer is a ConfigError listing a few layer names.
    """
    layers = [n for n, m in model.named_modules() if isinstance(m, _SUPPORTED)]
    found: set[str] = set()
    for pattern in patterns:
        hits = [n for n in layers if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            sample = ", ".join(layers[:: max(1, len(layers) // 6)][:6])
            raise ConfigError(
                f"model.lora.target_modules: '{pattern}' matches no Linear / Conv / Embedding layer; "
                f"use glob patterns over module names such as {sample}"
            )
        found.update(hits)
    return sorted(found)


def apply_lora(model: nn.Module, cfg: Optional[Mapping[str, Any]]) -> int:
    """Inject LoRA as configured by ``cfg`` (the ``model.lora`` node; off when null or not enabled).

    Returns the number of adapter parameters. Parameters trainable before stay trainable.
    """
    if not cfg or not cfg.get("enabled", False):
        return 0
    from peft import LoraConfig, inject_adapter_in_model

    r, alpha, dropout = int(cfg.get("r", 8)), float(cfg.get("alpha", 16)), float(cfg.get("dropout", 0.0))
    if r < 1 or alpha <= 0 or not 0.0 <= dropout < 1.0:
        raise ConfigError(f"model.lora: r={r}, alpha={alpha}, dropout={dropout}; need r >= 1, alpha > 0, 0 <= dropout < 1")
    patterns = list(cfg.get("target_modules") or [])
    if not patterns:
        raise ConfigError("model.lora.target_modules is empty; e.g. [image_encoder.trunk.blocks.*.attn.qkv]")
    targets = match_targets(model, patterns)
    trainable_before = {n for n, p in model.named_parameters() if p.requires_grad}
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, bias="none",
                        target_modules=targets, init_lora_weights=True)
    inject_adapter_in_model(config, model, adapter_name=ADAPTER)
    for name, p in model.named_parameters():  # peft froze everything but the adapters: restore the rest
        p.requires_grad = is_adapter(name) or official_name(name) in trainable_before
    n_adapter = sum(p.numel() for n, p in model.named_parameters() if is_adapter(n))
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_total = sum(p.numel() for n, p in model.named_parameters() if not is_adapter(n))
    logger.info(
        f"LoRA r={r} alpha={alpha:g} dropout={dropout:g} on {len(targets)} layers ({', '.join(patterns)}): "
        f"{n_adapter:,} adapter parameters; trainable now {n_train:,} / {n_total:,} base parameters "
        f"({100.0 * n_train / max(n_total, 1):.2f}%)"
    )
    return n_adapter


def merged_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model.state_dict()`` under Meta's names, adapters merged into the base weights.

    The model itself is not modified. Without LoRA this is the plain state dict (detached CPU copies).
    """
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if not is_adapter(k)}
    if not has_lora(model):
        return state
    from peft.tuners.lora import LoraLayer  # imported only for LoRA models (peft takes seconds to import)

    for prefix, module in model.named_modules():
        if not isinstance(module, LoraLayer) or ADAPTER not in module.lora_A:
            continue
        key = f"{prefix}{BASE}.weight"
        with torch.no_grad():
            delta = module.get_delta_weight(ADAPTER).detach().to(torch.float32).cpu()
        state[key] = (state[key].to(torch.float32) + delta).to(state[key].dtype)
    return {official_name(k): v for k, v in state.items()}


def trainable_state(state: Mapping[str, torch.Tensor], model: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """The entries of a (Lightning) ``state`` that belong to trainable parameters of ``model``
    (names in ``state`` carry ``prefix``), plus every entry outside ``prefix``."""
    keep = {prefix + n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in state.items() if k in keep or not k.startswith(prefix)}


def adapter_checkpoint(state: Mapping[str, torch.Tensor], model: nn.Module, path: Any) -> bool:
    """True when ``state`` is a LoRA run's checkpoint (trained tensors only) that fits ``model``.

    A LoRA checkpoint loaded into a model without adapters is a CheckpointError naming the fix.
    """
    if not any(is_adapter(k) for k in state):
        return False
    if not has_lora(model):
        from sam2_video.errors import CheckpointError

        raise CheckpointError(
            f"{path}: a LoRA training checkpoint (adapters and trained modules only, no base weights); "
            "evaluate <run>/checkpoints/model_official.pt (adapters merged) or resume with ckpt_path=<this file>"
        )
    return True
