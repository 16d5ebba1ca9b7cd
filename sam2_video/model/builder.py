"""Build SAM2's video model from ``configs/sam2/<variant>.yaml`` (config node ``model``)."""

from __future__ import annotations

from typing import Mapping

from hydra.utils import instantiate
from loguru import logger
from omegaconf import DictConfig

from sam2_video.errors import ConfigError
from sam2_video.model.checkpoint import load_into
from sam2_video.model.feature_cache import FeatureCache
from sam2_video.model.freeze import apply_trainable_modules
from sam2_video.model.lora import apply_lora
from sam2_video.model.activation_checkpointing import enable_activation_checkpointing
from sam2_video.model.sam2_train import PROMPT_KINDS, SAM2VideoTrainer


def prompt_probabilities(prompt_probs: Mapping[str, float]) -> tuple[float, float]:
    """Map ``{point: a, box: b, mask: c}`` to Meta's (P(point input), P(box | point input))."""
    unknown = set(prompt_probs) - set(PROMPT_KINDS)
    if unknown:
        raise ConfigError(f"model.train_prompting.prompt_probs: unknown kinds {sorted(unknown)}; use {PROMPT_KINDS}")
    p = {k: float(prompt_probs.get(k, 0.0)) for k in PROMPT_KINDS}
    total = sum(p.values())
    if total <= 0 or min(p.values()) < 0:
        raise ConfigError("model.train_prompting.prompt_probs must be non-negative and not all zero")
    p_pt = (p["point"] + p["box"]) / total
    p_box = p["box"] / (p["point"] + p["box"]) if p_pt > 0 else 0.0
    return p_pt, p_box


def build_sam2_model(model_cfg: DictConfig) -> SAM2VideoTrainer:
    """Instantiate ``model_cfg.net``, load ``model_cfg.checkpoint_path`` and freeze modules."""
    p_pt, p_box = prompt_probabilities(model_cfg.train_prompting.prompt_probs)
    auto, extra = model_cfg.get("auto_prompt"), {}
    if auto is not None and auto.get("enabled"):  # prompt-free mode: the net class with a learned prompt encoder
        extra = {"_target_": auto.model_target, "auto_prompt": instantiate(auto.encoder),
                 "auto_prompt_checkpoint": auto.get("checkpoint_path")}
    try:
        net = instantiate(
            model_cfg.net,
            prob_to_use_pt_input_for_train=p_pt,
            prob_to_use_box_input_for_train=p_box,
            **extra,
        )
    except Exception as exc:
        cause = exc.__cause__ or exc
        raise ConfigError(
            f"sam2 variant '{model_cfg.variant}' could not be built: {str(cause).splitlines()[0][:200]}; "
            "check the sizes in configs/sam2/ (see the comments in _base.yaml)"
        ) from exc
    if model_cfg.checkpoint_path:
        load_into(net, model_cfg.checkpoint_path, model_cfg.variant, strict=model_cfg.strict_checkpoint)
    else:
        logger.warning(
            "!!! model.checkpoint_path is null: SAM2 '{}' has RANDOM weights. Fine for tests and the "
            "demo; for real work set model.checkpoint_path=/path/to/sam2.1_hiera_*.pt !!!",
            model_cfg.variant,
        )
    apply_trainable_modules(net, list(model_cfg.trainable_modules))
    apply_lora(net, model_cfg.get("lora"))
    if model_cfg.get("activation_checkpointing"):
        enable_activation_checkpointing(net)
    cache_cfg = model_cfg.get("feature_cache")
    if cache_cfg is not None and cache_cfg.get("enabled"):
        net.feature_cache = instantiate({k: v for k, v in cache_cfg.items() if k != "enabled"})
        FeatureCache.check_compatible(net.image_encoder)  # augmentation: checked by train.validate_config
    return net
