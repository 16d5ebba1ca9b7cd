"""Fixtures of the scale-out tests: tiny evaluation / training overrides on the synthetic data (debug SAM2, CPU)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HYDRA_FULL_ERROR": "1"}


@pytest.fixture
def eval_overrides(synthetic_root, tmp_path) -> list[str]:
    """baseline_eval.py on one synthetic video, no report or mask files."""
    return ["sam2=debug", f"data.root={synthetic_root}", "data.num_workers=0", "eval.max_videos=1",
            "eval.report=false", "eval.save_masks=false", f"paths.root_dir={tmp_path}"]


@pytest.fixture
def train_overrides(synthetic_root, tmp_path) -> list[str]:
    """train.py for one step and one validation batch (seconds on CPU)."""
    return ["sam2=debug", "trainer=cpu", "logger=none", f"data.root={synthetic_root}", "data.num_workers=0",
            f"paths.root_dir={tmp_path}", "data.clip_length=4", "trainer.max_epochs=1", "trainer.limit_train_batches=1",
            "trainer.limit_val_batches=1", "callbacks.val_vis.count=0"]


@pytest.fixture
def run_script():
    """Run a top-level script as a user does (subprocess in the repository, one thread)."""

    def _run(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, script, *args], cwd=REPO, env=ENV, capture_output=True, text=True,
                              timeout=timeout)

    return _run
