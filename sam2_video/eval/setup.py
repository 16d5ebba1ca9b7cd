"""What one evaluation run is built from: settings, videos, model, propagator and planner.

Shared by every entry point (``baseline_eval.py``, ``grid_search_threshold.py``, evaluation after
training, the streaming pipeline), so the same config and ``seed`` give the same model, prompts
and predictions everywhere.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Optional

import torch
from omegaconf import DictConfig, OmegaConf

from sam2_video.config import build
from sam2_video.data.index import VideoIndex
from sam2_video.errors import ConfigError
from sam2_video.eval.prompting import EvalPromptFactory
from sam2_video.eval.runner import GtPlanner, Planner
from sam2_video.eval.settings import EvalSettings
from sam2_video.inference.propagate import VideoPropagator
from sam2_video.prompt import PromptSpec

# Prompt kinds planned outside eval/: kind -> "module:factory"; ``factory(model, index, node)`` returns a
# Planner, ``node`` = the kind's own settings ``eval.<kind>_prompt``. A new kind is one entry here.
PLANNERS = {"auto": "sam2_video.autoprompt.planner:AutoPlanner.for_model"}


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


def build_model(cfg: DictConfig, settings: EvalSettings) -> torch.nn.Module:
    """Our SAM2 from ``cfg.model`` (checkpoint, or random weights drawn from ``model.seed``), on
    ``eval.device``, in eval mode."""
    from sam2_video.model.builder import build_sam2_model

    return build_sam2_model(cfg.model).to(settings.torch_device()).eval()


def make_propagator(model: torch.nn.Module, settings: EvalSettings) -> VideoPropagator:
    device = next(model.parameters()).device
    return VideoPropagator(model, memory_dtype=settings.memory_torch_dtype(),
                           autocast_dtype=settings.autocast_dtype(device), encode_batch=int(settings.encode_batch))


def prompt_spec_of(cfg: DictConfig) -> PromptSpec:
    """The run's :class:`PromptSpec` (config group ``prompt``; the one validation uses); the defaults
    (mask prompts) for a config without the group."""
    node = cfg.get("prompt")
    return PromptSpec.from_config(OmegaConf.to_container(node, resolve=True)) if node is not None else PromptSpec()


def make_planner(settings: EvalSettings, model: torch.nn.Module, index: VideoIndex,
                 spec: Optional[PromptSpec] = None) -> Planner:
    """The :class:`Planner` of ``spec.kind`` (default :class:`PromptSpec`: mask prompts): prompts from the
    GT (point / box / mask), or a kind registered in :data:`PLANNERS` (``auto``: the model's learned
    prompt encoder, no GT read; its own settings ``eval.auto_prompt``)."""
    spec = spec if spec is not None else PromptSpec()
    if spec.kind in PLANNERS:
        module, attr = PLANNERS[spec.kind].split(":")
        factory: Any = importlib.import_module(module)
        for name in attr.split("."):
            factory = getattr(factory, name)
        return factory(model, index, getattr(settings, f"{spec.kind}_prompt", None))
    return GtPlanner(EvalPromptFactory(spec), settings.reprompt_every)


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
