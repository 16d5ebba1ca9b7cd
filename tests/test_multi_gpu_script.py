"""multi_gpu_train.sh: --help prints usage, a machine without GPUs gets one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sh(*args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHON=sys.executable)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["bash", str(REPO / "multi_gpu_train.sh"), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=env)


def test_help_prints_usage_and_trains_nothing():
    for flag in ("--help", "-h"):
        out = sh(flag)
        assert out.returncode == 0 and "Usage:" in out.stdout and "NUM_GPUS" in out.stdout
        assert "train.py" in out.stdout and not out.stderr


def test_no_nvidia_smi_is_one_line_and_exit_2(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with bash tools but without nvidia-smi
    bin_dir.mkdir()
    for tool in ("bash", "sed", "grep", "dirname", "cat"):
        for d in os.environ["PATH"].split(os.pathsep):
            if (Path(d) / tool).exists():
                (bin_dir / tool).symlink_to(Path(d) / tool)
                break
    out = sh("data=endovis18", path=str(bin_dir))
    assert out.returncode == 2 and "no GPU found" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_gpu_count_without_gpus_refused_by_train_py(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    out = sh("2", "sam2=debug", f"paths.root_dir={tmp_path}")
    assert out.returncode == 2 and "trainer.accelerator" in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())
