"""The model settings a Lightning checkpoint was trained with: stored in it, used when it is loaded.

A checkpoint's weights only mean what they meant in training together with the settings that shape
the network and how it tracks (sizes, ``image_size``, ``num_maskmem``, ``multimask_output_*``, ...).
``train.py`` stores them in every ``.ckpt`` (``MODEL_CONFIG_KEY``). Loading a ``.ckpt`` through
``model.checkpoint_path`` (evaluation, further fine-tuning) then uses the STORED settings and logs
each one that differs from the composed config (``adopt_stored_settings``); resuming a run with
``ckpt_path`` refuses a difference (``check_resume_settings``): a resumed run must be the same run.
Training-only knobs (trainable modules, training prompts, feature cache) are not stored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.errors import CheckpointError
from sam2_video.model.checkpoint import load_file

MODEL_CONFIG_KEY = "sam2_video_model_config"
NOT_STORED = frozenset({"checkpoint_path", "strict_checkpoint", "trainable_modules", "feature_cache",
                        "compile_image_encoder", "train_prompting", "config_path", "seed",
                        "activation_checkpointing"})  # recompute vs store: same network, any run may switch it
NET_TRAINING_ONLY = ("_for_train", "add_all_frames_to_correct_as_cond", "num_correction_pt_per_frame",
                     "compile_image_encoder")


def model_settings(model_cfg: DictConfig) -> dict[str, Any]:
    """The resolved model node without training-only knobs (what a checkpoint stores)."""
    node = OmegaConf.to_container(model_cfg, resolve=True)
    out = {k: v for k, v in node.items() if k not in NOT_STORED}
    if isinstance(out.get("net"), Mapping):
        out["net"] = {k: v for k, v in out["net"].items() if not any(t in k for t in NET_TRAINING_ONLY)}
    return out


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping) and v:
            flat.update(_flat(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def differences(stored: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{dotted key: (stored, current)}`` for every setting that differs (top-level knobs first)."""
    a, b = _flat(stored), _flat(current)
    keys = sorted(set(a) | set(b), key=lambda k: (k.startswith("net."), k))
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def read_stored(path: str | os.PathLike, key: str = "model.checkpoint_path") -> Optional[dict[str, Any]]:
    """The settings stored in a Lightning ``.ckpt`` (None for official files and older checkpoints)."""
    if Path(path).suffix != ".ckpt":
        return None
    obj = load_file(path, key=key)
    stored = obj.get(MODEL_CONFIG_KEY) if isinstance(obj, Mapping) else None
    return dict(stored) if isinstance(stored, Mapping) else None


def _show(diffs: Mapping[str, tuple[Any, Any]], limit: int = 6) -> str:
    items = [f"model.{k}={s} (config: {c})" for k, (s, c) in diffs.items()]
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def adopt_stored_settings(cfg: DictConfig) -> dict[str, tuple[Any, Any]]:
    """Set ``cfg.model`` to the settings stored in ``model.checkpoint_path`` (a .ckpt); returns the changes."""
    path = OmegaConf.select(cfg, "model.checkpoint_path")
    stored = read_stored(path) if path else None
    if stored is None:
        return {}
    diffs = differences(stored, model_settings(cfg.model))
    knobs = {k: v for k, v in diffs.items() if not k.startswith("net.")}
    for k, (value, _) in knobs.items():
        if OmegaConf.select(cfg, f"model.{k}", default="__absent__") == "__absent__" and "." not in k:
            logger.warning(f"{path}: stored setting model.{k} is unknown to this config; ignored")
            continue
        OmegaConf.update(cfg, f"model.{k}", value, merge=False)
    rest = differences(stored, model_settings(cfg.model))  # net values not implied by the knobs
    if rest:
        cfg.model.net = OmegaConf.merge(cfg.model.net, stored["net"])
    if diffs:
        logger.warning(f"{path} was trained with other model settings; using the checkpoint's: {_show(diffs)}")
    return diffs


def check_resume_settings(cfg: DictConfig, ckpt: Mapping[str, Any], path: str) -> None:
    """A resumed run must have the model settings it was started with (CheckpointError otherwise)."""
    stored = ckpt.get(MODEL_CONFIG_KEY)
    if not isinstance(stored, Mapping):
        return
    diffs = differences(stored, model_settings(cfg.model))
    if diffs:
        raise CheckpointError(
            f"ckpt_path={path} was trained with other model settings: {_show(diffs)}; resume with the "
            "run's own config (its config.yaml), or start a new run with model.checkpoint_path=<the .ckpt>"
        )
