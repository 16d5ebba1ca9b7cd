"""Run plumbing for ``train(cfg)``: Loguru sinks, callbacks, loggers, resume path."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from loguru import logger
from omegaconf import DictConfig

from sam2_video.config import build
from sam2_video.errors import ConfigError


def setup_logging(log_file: Path, level: str = "INFO") -> None:
    """Console + file sinks; the file gets everything at DEBUG."""
    logger.remove()
    logger.add(sys.stderr, level=level, format="<green>{time:HH:mm:ss}</green> | <level>{level: <7}</level> | {message}")
    logger.add(log_file, level="DEBUG", enqueue=False)


def build_callbacks(cfg: DictConfig, have_logger: bool = True) -> list:
    """Instantiate every node of ``cfg.callbacks`` with a ``_target_`` (LR monitor only with a logger)."""
    nodes = [n for n in cfg.callbacks.values() if isinstance(n, DictConfig) and "_target_" in n]
    if not have_logger:
        nodes = [n for n in nodes if not str(n._target_).endswith("LearningRateMonitor")]
    return [build(node) for node in nodes]


def build_loggers(cfg: DictConfig) -> list:
    """Instantiate ``cfg.logger`` entries; ``+wandb=null`` removes a W&B logger without importing it."""
    nodes = dict(cfg.logger or {})
    if "wandb" in cfg and cfg.wandb is None:
        nodes.pop("wandb", None)
    if "wandb" in nodes and nodes["wandb"].get("offline"):
        import os

        os.environ.setdefault("WANDB_MODE", "offline")
    return [build(node) for node in nodes.values() if isinstance(node, DictConfig) and "_target_" in node]


def resolve_ckpt_path(ckpt_path: Optional[str], output_dir: Path) -> Optional[str]:
    """``None`` = fresh run, ``auto`` = ``<output_dir>/checkpoints/last.ckpt`` if present, else the path."""
    if ckpt_path is None:
        return None
    if ckpt_path == "auto":
        last = output_dir / "checkpoints" / "last.ckpt"
        return str(last) if last.exists() else None
    if not Path(ckpt_path).is_file():
        raise ConfigError(f"ckpt_path={ckpt_path}: file not found; pass a .ckpt from <run>/checkpoints or ckpt_path=auto")
    return str(ckpt_path)
