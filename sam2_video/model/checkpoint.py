"""Checkpoint IO: official ``{"model": state_dict}`` files and our Lightning checkpoints.

``load_file`` is the ONE place this project unpickles a checkpoint: always ``torch.load(...,
weights_only=True)`` passed explicitly, so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` cannot turn it off.
Lightning's own loads (resume with ``ckpt_path``) go through it via ``WeightsOnlyCheckpointIO``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import torch
from loguru import logger
from torch import nn

from sam2_video.atomic import atomic_path
from sam2_video.errors import CheckpointError
from sam2_video.model.lora import adapter_checkpoint, merged_state_dict

LIGHTNING_PREFIX = "model."  # our LightningModule stores the SAM2 network as ``self.model``
SAM21_ONLY_KEYS = ("no_obj_embed_spatial", "obj_ptr_tpos_proj")


def load_file(path: str | os.PathLike, map_location: Any = "cpu", key: str = "model.checkpoint_path") -> Any:
    """``torch.load`` restricted to tensors and plain containers; one CheckpointError line on failure."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"{key}={path}: checkpoint file not found; pass an existing official .pt or a sam2-video .ckpt"
        )
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupt, truncated, or pickled arbitrary objects (refused, never run)
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        code = next((ln for ln in lines if "GLOBAL" in ln and "blocked" in ln or "Unsupported global" in ln), None)
        detail = next((ln for ln in lines if not ln.startswith(("Weights only load failed", "Please file", "Check the"))),
                      lines[0] if lines else type(exc).__name__)
        why = (f"it needs code to unpickle, which is refused: {code[:120]}" if code
               else f"corrupt, truncated or not a torch file: {detail[:120]}")
        raise CheckpointError(
            f"{key}={path}: not a readable torch checkpoint ({why}); re-download or re-export it"
        ) from None


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a SAM2 state dict from an official .pt or one of our Lightning .ckpt files."""
    obj = load_file(path)
    if isinstance(obj, Mapping) and isinstance(obj.get("model"), Mapping):
        return dict(obj["model"])
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        sd = obj["state_dict"]
        return {k[len(LIGHTNING_PREFIX):]: v for k, v in sd.items() if k.startswith(LIGHTNING_PREFIX)}
    keys = list(obj)[:5] if isinstance(obj, Mapping) else type(obj).__name__
    raise CheckpointError(
        f"{path}: expected an official {{'model': state_dict}} file or a Lightning checkpoint with "
        f"'state_dict', found {keys}; export weights with sam2_video.model.checkpoint.save_official"
    )


def _variant_hint(missing: list[str], unexpected: list[str], variant: str) -> str:
    size = variant.split("_", 1)[1] if "_" in variant else "tiny"
    if any(k.startswith(SAM21_ONLY_KEYS) for k in missing):
        return f"this looks like a SAM2.0 checkpoint: use sam2=sam2_{size}"
    if any(k.startswith(SAM21_ONLY_KEYS) for k in unexpected):
        return f"this looks like a SAM2.1 checkpoint: use sam2=sam2.1_{size}"
    return "pick the sam2=<variant> the checkpoint was trained with (tiny/small/base_plus/large, sam2 vs sam2.1)"


def load_into(model: nn.Module, path: str | os.PathLike, variant: str, strict: bool = True) -> None:
    """Load ``path`` into ``model``; any key or shape mismatch is one clear CheckpointError."""
    state = read_state_dict(path)
    complete = getattr(model, "complete_state", None)  # e.g. a prompt encoder stored next to the SAM2 file
    if complete is not None:
        state = complete(state, Path(path))
    own = model.state_dict()
    missing = sorted(k for k in own if k not in state)
    if adapter_checkpoint(state, model, path):  # a LoRA run's trained tensors only: the frozen base stays
        missing = []
    unexpected = sorted(k for k in state if k not in own)
    shape_bad = sorted(
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    )
    if shape_bad or (strict and (missing or unexpected)):
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (first: {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (first: {', '.join(unexpected[:3])})")
        if shape_bad:
            parts.append(f"{len(shape_bad)} shape mismatches (first: {shape_bad[0]})")
        raise CheckpointError(
            f"{path} does not match model variant '{variant}': {'; '.join(parts)}; "
            f"{_variant_hint(missing, unexpected, variant)}"
        )
    model.load_state_dict(state, strict=False)
    if missing or unexpected:
        logger.warning(f"{path}: loaded non-strictly, {len(missing)} missing / {len(unexpected)} unexpected keys")
    logger.info(f"Loaded {len(state)} tensors from {path} into variant '{variant}'")


def save_official(model: nn.Module, path: str | os.PathLike) -> Path:
    """Atomically write ``{"model": state_dict}`` that Meta's ``build_sam2*`` functions load
    (LoRA adapters merged into the base weights, see ``sam2_video.model.lora``)."""
    state = merged_state_dict(model)
    export = getattr(model, "official_export", None)  # e.g. a prompt encoder: written next to it, keys removed
    if export is not None:
        state = export(state, Path(path))
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save({"model": state}, tmp)
    logger.info(f"Wrote official-format weights to {path}")
    return Path(path)
