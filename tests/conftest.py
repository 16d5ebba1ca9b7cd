"""Shared fixtures: compose the real config tree (debug SAM2, CPU, tmp output dirs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
import torch
from omegaconf import DictConfig

from sam2_video.config import compose_config

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A small synthetic dataset (COCO + DAVIS layouts), generated once per session."""
    from sam2_video.data.synthetic import generate_dataset

    root = tmp_path_factory.mktemp("synthetic")
    generate_dataset(root, num_videos=4, num_frames=10, size=(96, 128), seed=0)
    return root


@pytest.fixture
def make_cfg(tmp_path, synthetic_root) -> Callable[..., DictConfig]:
    """Compose a CPU / debug-model config with outputs in ``tmp_path`` and the synthetic data."""

    def _make(*overrides: str, config_name: str = "config") -> DictConfig:
        base = [
            "sam2=debug",
            "trainer=cpu",
            "logger=none",
            f"output_dir={tmp_path / 'run'}",
            f"paths.root_dir={tmp_path}",
            f"data.root={synthetic_root}",
            "data.num_workers=0",
        ]
        return compose_config(base + list(overrides), config_name=config_name)

    return _make
