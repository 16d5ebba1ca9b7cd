"""Smoke tests of the train.py entry point: a training run in a subprocess, as a user runs it; help,
``--cfg`` and refusals in this process (``run_cli``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "train.py", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


def common(tmp_path: Path, root: Path) -> list[str]:
    return ["sam2=debug", "trainer=cpu", "logger=none", f"data.root={root}", "data.num_workers=0",
            f"paths.root_dir={tmp_path}", "data.clip_length=4", "trainer.limit_val_batches=1"]


def test_help_and_cfg_job(run_cli):
    out = run_cli("train.py", "--help")
    assert out.returncode == 0 and "sam2: " in out.stdout and "debug" in out.stdout
    job = run_cli("train.py", "sam2=debug", "--cfg", "job")
    assert job.returncode == 0 and "variant: debug" in job.stdout


def test_bad_override_and_bad_value_exit_nonzero(tmp_path, run_cli):
    bad_group = run_cli("train.py", "data=no_such_dataset")
    assert bad_group.returncode != 0 and "no_such_dataset" in bad_group.stderr
    bad_module = run_cli("train.py", "sam2=debug", "model.trainable_modules=[memory_attn]", f"paths.root_dir={tmp_path}")
    assert bad_module.returncode == 2 and "memory_attn" in bad_module.stderr
    assert "Traceback" not in bad_module.stderr
    assert not [p for p in tmp_path.rglob("config.yaml") if ".hydra" not in p.parts]  # no run config written


def test_one_epoch_run(tmp_path, synthetic_root, run_cli):
    out = run_cli("train.py", *common(tmp_path, synthetic_root), "trainer.max_epochs=1", "trainer.limit_train_batches=1",
              "evaluate_after_training=false", f"output_dir={tmp_path / 'run'}")
    assert out.returncode == 0, out.stderr[-2000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["global_step"] == 1 and "val/jf" in metrics["final"]
    # output_dir=X also moves Hydra's own files there: no stray outputs/<date>/<time>
    assert (tmp_path / "run" / ".hydra" / "overrides.yaml").is_file() and not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_killed_run_resumes_from_saved_step(tmp_path, synthetic_root):
    """Kill training after its first checkpoint, restart with ckpt_path=auto: it continues."""
    run_dir = tmp_path / "run"
    args = [sys.executable, "train.py", *common(tmp_path, synthetic_root), "trainer.max_epochs=3",
            "trainer.limit_train_batches=3", "evaluate_after_training=false", f"output_dir={run_dir}"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))
    last = run_dir / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)  # the rename is atomic; give the writer a moment to finish its epoch bookkeeping
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved_step = torch.load(last, weights_only=True)["global_step"]
    assert saved_step in (3, 6)
    out = run(*common(tmp_path, synthetic_root), "trainer.max_epochs=3", "trainer.limit_train_batches=3",
              "evaluate_after_training=false", f"output_dir={run_dir}", "ckpt_path=auto")
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads((run_dir / "metrics.json").read_text())["global_step"] == 9
    assert f"Restoring states from the checkpoint path at {last}" in out.stderr + out.stdout


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path, synthetic_root):
    out = run(*common(tmp_path, synthetic_root), "trainer.strategy=ddp", "trainer.devices=2",
              "trainer.max_epochs=1", "trainer.limit_train_batches=2",
              "evaluate_after_training=false", f"output_dir={tmp_path / 'ddp'}", timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    assert metrics["global_step"] == 2 and "val/jf" in metrics["final"]


def test_run_dir_follows_output_dir_only_for_single_runs():
    from sam2_video.cli import run_dir_follows_output_dir as follow

    assert follow(["sam2=debug", "output_dir=/r/a", "output_dir=/r/b"]) == [
        "sam2=debug", "output_dir=/r/a", "output_dir=/r/b", "hydra.run.dir=/r/b"]
    assert follow(["-m", "output_dir=/r"]) == ["-m", "output_dir=/r"]  # sweeps keep hydra.sweep.dir
    assert follow(["output_dir=/r", "hydra.run.dir=/h"]) == ["output_dir=/r", "hydra.run.dir=/h"]
    assert follow(["sam2=debug"]) == ["sam2=debug"]
