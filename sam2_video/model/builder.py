"""Build SAM2's video model from ``configs/sam2/<variant>.yaml`` (config node ``model``).

Every entry point builds through here, so the same config builds the same network: random weights
(``model.checkpoint_path: null``; also LoRA adapters) are drawn from torch's generator seeded with
``model.seed`` (= the run's ``seed``) inside a forked RNG state, so building never depends on, nor
changes, what the process drew before. ``model.seed`` also seeds ``SAM2Train``'s prompt-kind draws.
The training prompting (kind mix, conditioning frames, correction clicks) comes from the
``prompt`` group's :class:`~sam2_video.prompt.spec.PromptSpec`.
"""

from __future__ import annotations

from typing import Optional

import torch
from hydra.utils import instantiate
from loguru import logger
from omegaconf import DictConfig

from sam2_video.config import build
from sam2_video.errors import ConfigError, UserError
from sam2_video.model.activation_checkpointing import enable_activation_checkpointing
from sam2_video.model.checkpoint import load_into
from sam2_video.model.feature_cache import FeatureCache
from sam2_video.model.freeze import apply_trainable_modules
from sam2_video.model.lora import apply_lora
from sam2_video.model.sam2_train import SAM2VideoTrainer
from sam2_video.prompt import PromptSpec


def build_model(cfg: DictConfig) -> SAM2VideoTrainer:
    """The model of a composed root config: ``cfg.model`` with ``cfg.prompt``'s training prompting."""
    return build_sam2_model(cfg.model, prompt=build(cfg.prompt) if cfg.get("prompt") is not None else None)


def _feature_cache(model_cfg: DictConfig) -> Optional[FeatureCache]:
    node = model_cfg.get("feature_cache")
    if node is None or not node.get("enabled"):
        return None
    return instantiate({k: v for k, v in node.items() if k != "enabled"})


def _instantiate(model_cfg: DictConfig, prompt: PromptSpec, seed: int, cache: Optional[FeatureCache]):
    train = prompt.train
    auto, extra = model_cfg.get("auto_prompt"), {}
    if auto is not None and auto.get("enabled"):  # prompt-free mode: the net class with a learned prompt encoder
        extra = {"_target_": auto.model_target, "auto_prompt": instantiate(auto.encoder),
                 "auto_prompt_checkpoint": auto.get("checkpoint_path"), "sam2_checkpoint": model_cfg.checkpoint_path,
                 "missing_encoder": auto.get("missing_encoder", "error")}
    try:
        return instantiate(model_cfg.net, **train.sam2train_kwargs(),
                           prob_to_use_auto_input_for_train=train.probabilities().auto,
                           seed=seed, feature_cache=cache, **extra)
    except Exception as exc:
        cause = exc.__cause__ or exc
        if isinstance(cause, UserError):  # already one clear line (e.g. from the prompt encoder)
            raise cause from None
        raise ConfigError(
            f"sam2 variant '{model_cfg.variant}' could not be built: {str(cause).splitlines()[0][:200]}; "
            "check the sizes in configs/sam2/ (see the comments in _base.yaml)"
        ) from exc


def build_sam2_model(model_cfg: DictConfig, prompt: Optional[PromptSpec] = None) -> SAM2VideoTrainer:
    """Instantiate ``model_cfg.net`` (seeded by ``model_cfg.seed``), load ``model_cfg.checkpoint_path``,
    freeze modules, add LoRA / activation checkpointing / the feature cache. ``prompt``: the training
    prompting (default: ``PromptSpec()``, the values of configs/prompt/default.yaml)."""
    prompt = prompt if prompt is not None else PromptSpec()
    seed = int(model_cfg.get("seed", 42))
    cache = _feature_cache(model_cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _instantiate(model_cfg, prompt, seed, cache)
        if model_cfg.checkpoint_path:
            load_into(net, model_cfg.checkpoint_path, model_cfg.variant, strict=model_cfg.strict_checkpoint)
        else:
            logger.warning(
                "!!! model.checkpoint_path is null: SAM2 '{}' has RANDOM weights (seed {}). Fine for tests and "
                "the demo; for real work set model.checkpoint_path=/path/to/sam2.1_hiera_*.pt !!!",
                model_cfg.variant, seed,
            )
        modules = model_cfg.trainable_modules  # a list, or one name (``all``)
        apply_trainable_modules(net, modules if isinstance(modules, str) else list(modules))
        apply_lora(net, model_cfg.get("lora"))
    if model_cfg.get("activation_checkpointing"):
        enable_activation_checkpointing(net)
    if cache is not None:
        FeatureCache.check_compatible(net.image_encoder)  # augmentation: checked by the config validation
    return net
