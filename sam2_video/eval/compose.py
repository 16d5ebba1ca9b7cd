"""Compose the Hydra config tree outside ``@hydra.main``: moved to ``sam2_video.config.compose``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig

from sam2_video.config import CONFIG_DIR as DEFAULT_CONFIG_DIR
from sam2_video.config import compose, locate

__all__ = ["DEFAULT_CONFIG_DIR", "compose_from", "locate"]


def compose_from(config: str = "config", overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> DictConfig:
    """Same as ``sam2_video.config.compose``."""
    return compose(config, overrides, config_dir)
