"""What every run is assembled from: settings, videos, model (with its checkpoint's stored settings),
planner and chain. Shared by every entry point (``baseline_eval.py``, ``grid_search_threshold.py``,
``predict.py``, the stream, evaluation after training, the refiner's priors), so the same config and
``seed`` give the same model, prompts, chain and masks everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.config import build
from sam2_video.data.index import VideoIndex
from sam2_video.errors import ConfigError
from sam2_video.model.stored_config import adopt_stored_settings
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.pipeline.planners import make_planner  # noqa: F401  (re-exported: the registry's factory)
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.prompt import PromptSpec

def settings_of(cfg: DictConfig) -> EvalSettings:
    """``cfg.eval`` validated (ConfigError names the key)."""
    return EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))


def output_dir_of(cfg: DictConfig) -> Path:
    """``cfg.output_dir`` resolved (ConfigError outside a Hydra run when it is not set)."""
    try:
        out = cfg.output_dir
    except Exception:  # ${hydra:runtime.output_dir} outside @hydra.main
        out = None
    if not out:
        raise ConfigError("output_dir is not set; pass output_dir=outputs/eval_run")
    return Path(str(out))


def resize_mode_of(cfg: DictConfig) -> str:
    return OmegaConf.select(cfg, "data.resize_mode", default="square")


def load_index(cfg: DictConfig, split: str) -> VideoIndex:
    """``instantiate(cfg.data)`` -> prepare_data -> ``video_index(split)`` (UserErrors unwrapped)."""
    dm = build(cfg.data)
    dm.prepare_data()
    return dm.video_index(split)


def _user_set(key: str) -> bool:
    """Whether the command line of this Hydra run set ``key`` (False outside a Hydra run)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        overrides = list(HydraConfig.get().overrides.task)
    except Exception:  # noqa: BLE001 - not inside a Hydra run
        return False
    return any(o.lstrip("+~").split("=", 1)[0] == key for o in overrides)


def adopt_checkpoint(cfg: DictConfig) -> None:
    """Make ``cfg`` what ``model.checkpoint_path`` was trained with: its stored model settings (variant,
    net, learned prompt encoder) and, for a prompt-free checkpoint, ``prompt.kind=auto`` unless the
    command line set the kind (the summary records the kind evaluated)."""
    adopt_stored_settings(cfg)
    enabled = bool(OmegaConf.select(cfg, "model.auto_prompt.enabled", default=False))
    kind = OmegaConf.select(cfg, "prompt.kind", default=None)
    if enabled and kind is not None and kind != "auto" and not _user_set("prompt.kind"):
        logger.warning(f"{OmegaConf.select(cfg, 'model.checkpoint_path')}: a prompt-free model (learned prompt "
                       f"encoder): evaluating prompt.kind=auto instead of {kind} (pass prompt.kind={kind} to keep it)")
        OmegaConf.update(cfg, "prompt.kind", "auto", merge=False)


def build_model(cfg: DictConfig, settings: EvalSettings, device: Optional[torch.device] = None) -> torch.nn.Module:
    """Our SAM2 from ``cfg.model`` after :func:`adopt_checkpoint` (checkpoint, or random weights drawn
    from ``model.seed``), on ``device`` (default ``eval.device``), in eval mode."""
    from sam2_video.model.builder import build_sam2_model

    adopt_checkpoint(cfg)
    return build_sam2_model(cfg.model).to(device or settings.torch_device()).eval()


def plain_chain_settings(settings: EvalSettings) -> StreamSettings:
    """The chain of the evaluation (``eval.chain=sam2``): SAM2 alone, memory every frame (Meta's
    predictor), the evaluation's threshold and non-overlap rule, no stage."""
    return StreamSettings(threshold=float(settings.threshold), non_overlap=bool(settings.non_overlap),
                          memory_dtype=str(settings.memory_dtype), progress=False)


def chain_settings(cfg: DictConfig, deployed: bool) -> StreamSettings:
    """``stream.*`` (the deployed chain: memory cadence, re-prompting, refiner, EMA, post-processing)
    or the plain evaluation chain."""
    if deployed:
        return StreamSettings.from_config(OmegaConf.to_container(cfg.stream, resolve=True))
    return plain_chain_settings(settings_of(cfg))


def build_chain(cfg: DictConfig, model: torch.nn.Module, chain: StreamSettings, settings: EvalSettings,
                categories: Sequence[int] = (), thresholds: Optional[Sequence[float]] = None,
                encode_batch: Optional[int] = None, node: str = "stream", resize_mode: Optional[str] = None,
                qa: bool = False) -> Chain:
    """The chain of a run: ``model`` with ``chain`` settings, its refiner (class c = the c-th of the dataset's
    ``categories`` sorted, the refiner training's rule; without a dataset, class c = category id c), the
    evaluation's geometry and dtypes."""
    from sam2_video.pipeline.stages.refiner_load import build_refiner

    device = next(model.parameters()).device
    class_of = {int(c): i + 1 for i, c in enumerate(sorted(int(c) for c in categories if int(c) != 0))}
    refiner = build_refiner(cfg, chain, class_of or None, node=node)
    memory = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": None}[chain.memory_dtype]
    batch = settings.encode_batch if encode_batch is None else encode_batch
    return Chain(model, chain, refiner, memory_dtype=memory, autocast_dtype=settings.autocast_dtype(device),
                 geometry=settings.geometry, resize_mode=resize_mode or resize_mode_of(cfg), thresholds=thresholds,
                 encode_batch=int(batch), qa=qa, encode_thread=settings.encode_ahead(device))


def prompt_spec_of(cfg: DictConfig) -> PromptSpec:
    """The run's :class:`PromptSpec` (config group ``prompt``; the one validation uses); the defaults
    (mask prompts) for a config without the group."""
    node = cfg.get("prompt")
    return PromptSpec.from_config(OmegaConf.to_container(node, resolve=True)) if node is not None else PromptSpec()


def class_ids_of(index: VideoIndex) -> list[int]:
    """Classes 1..K of the class-level metrics: every category id except 0 (background)."""
    return sorted(c for c in index.categories if c != 0)


def run_info_of(cfg: DictConfig) -> dict[str, Any]:
    """Where the model and data came from (``run`` of summary.json)."""
    data = cfg.get("data") or {}
    return {"checkpoint": OmegaConf.select(cfg, "model.checkpoint_path"),
            "variant": OmegaConf.select(cfg, "model.variant"),
            "data": {k: OmegaConf.select(cfg, f"data.{k}") for k in ("format", "root", "val_path", "test_path")
                     if k in data}}
