"""The prompt encoder's weights next to the official-format SAM2 file.

``model_official.pt`` stays exactly what Meta's ``build_sam2*`` loads; the encoder goes to
``model_official.auto_prompt.pt``: ``{"auto_prompt": state_dict, "category_ids": [...],
"embed_dim": C, "sam2_file": "model_official.pt"}``. Lightning checkpoints hold both (the encoder is
a submodule of the model). Loading SAM2 weights without the encoder, or the encoder without SAM2
weights, is one CheckpointError line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from sam2_video.atomic import atomic_path
from sam2_video.errors import CheckpointError
from sam2_video.model.checkpoint import load_file

ENCODER_PREFIX = "auto_prompt."
SUFFIX = ".auto_prompt.pt"


def encoder_path_for(official: str | Path) -> Path:
    """``dir/model_official.pt`` -> ``dir/model_official.auto_prompt.pt``."""
    p = Path(official)
    return p.with_name(p.stem + SUFFIX)


def write_encoder_file(model, state: dict, official: str | Path) -> Path:
    """Atomically write the encoder part of ``state`` (full model state dict) next to ``official``."""
    enc = {k[len(ENCODER_PREFIX):]: v for k, v in state.items() if k.startswith(ENCODER_PREFIX)}
    dest = encoder_path_for(official)
    payload = {"auto_prompt": enc, "category_ids": model.auto_prompt.category_ids.tolist(),
               "embed_dim": int(model.auto_prompt.embed_dim), "encoder": type(model.auto_prompt).__name__,
               "sam2_file": Path(official).name}
    with atomic_path(dest, suffix=".pt") as tmp:
        torch.save(payload, tmp)
    return dest


def read_encoder_state(model, official: str | Path, explicit: Optional[str] = None) -> dict:
    """``auto_prompt.*`` tensors for ``model`` from ``model.auto_prompt_checkpoint`` or the file next
    to ``official``; checks the encoder type and the category list."""
    explicit = explicit or getattr(model, "auto_prompt_checkpoint", None)
    path = Path(explicit) if explicit else encoder_path_for(official)
    if not path.is_file():
        raise CheckpointError(
            f"{official} holds SAM2 weights only and the prompt-encoder weights {path} are missing; pass "
            "model.auto_prompt.checkpoint_path=<file>.auto_prompt.pt (written next to model_official.pt by training), "
            "or model.auto_prompt.enabled=false for prompted SAM2")
    obj = load_file(path, key="model.auto_prompt.checkpoint_path")
    if not isinstance(obj, dict) or not isinstance(obj.get("auto_prompt"), dict):
        raise CheckpointError(f"model.auto_prompt.checkpoint_path={path}: not a prompt-encoder file "
                              "(expected {'auto_prompt': state_dict, ...} as written by training)")
    enc = model.auto_prompt
    if obj.get("encoder") not in (None, type(enc).__name__):
        raise CheckpointError(f"{path}: holds a {obj['encoder']} but model.auto_prompt.encoder builds a "
                              f"{type(enc).__name__}; set model.auto_prompt.encoder to the trained one")
    cats = [int(c) for c in obj.get("category_ids", [])]
    if cats != enc.category_ids.tolist():
        raise CheckpointError(f"{path}: prompt encoder trained for categories {cats} but "
                              f"model.auto_prompt.category_ids={enc.category_ids.tolist()}; use the trained list "
                              f"({len(cats)} categories) or retrain the encoder")
    return {ENCODER_PREFIX + k: v for k, v in obj["auto_prompt"].items()}
