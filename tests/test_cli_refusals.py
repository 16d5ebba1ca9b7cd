"""Entry points refuse bad values with ONE line naming the key, exit status 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(script: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(REPO / script), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def assert_refused(out: subprocess.CompletedProcess, key: str) -> None:
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "HYDRA_FULL_ERROR" not in out.stderr
    errors = [ln for ln in out.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and key in errors[0], out.stderr[-2000:]


@pytest.mark.parametrize("script,override,key", [
    pytest.param("train.py", "trainer.max_epochs=abc", "trainer.max_epochs", marks=pytest.mark.slow),
    ("train.py", "model.image_size=100", "model.image_size"),
    ("baseline_eval.py", "eval.threshold=abc", "eval.threshold"),
])
def test_bad_value_is_one_line_and_nothing_is_written(tmp_path, script, override, key):
    out = run(script, "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path}", override, cwd=tmp_path)
    assert_refused(out, key)
    assert not list(tmp_path.rglob("*")), f"files written: {list(tmp_path.rglob('*'))[:5]}"


def test_bad_value_with_explicit_output_dir_writes_nothing(tmp_path):
    out = run("train.py", "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path}", f"output_dir={tmp_path / 'run'}",
              "optim.lr=-1", cwd=tmp_path)
    assert_refused(out, "optim.lr")
    assert not (tmp_path / "run").exists()


def test_help_says_what_each_script_does(monkeypatch, capsys):
    import runpy

    texts = {}
    for script in ("train.py", "baseline_eval.py"):
        monkeypatch.setattr(sys, "argv", [script, "--help"])
        try:
            runpy.run_path(str(REPO / script), run_name="__main__")
        except SystemExit as exc:
            assert exc.code in (0, None)
        texts[script] = capsys.readouterr().out
    assert "Fine-tune" in texts["train.py"] and "Fine-tune" not in texts["baseline_eval.py"]
    assert "Evaluate" in texts["baseline_eval.py"] and "sam2: " in texts["baseline_eval.py"]  # Hydra's groups follow


def test_multi_baseline_eval_reports_the_real_error(tmp_path):
    """A failing config's row names its error, not Hydra's HYDRA_FULL_ERROR hint."""
    tree = tmp_path / "configs"
    (tree / "combo").mkdir(parents=True)
    for p in (REPO / "configs").iterdir():
        if p.name != "combo":
            os.symlink(p, tree / p.name)
    (tree / "combo" / "bad.yaml").write_text("# @package _global_\ndefaults:\n  - /config\n  - override /sam2: debug\n"
                                             "  - _self_\neval:\n  threshold: abc\n")
    out = subprocess.run([sys.executable, str(REPO / "multi_baseline_eval.py"), "--configs-dir", str(tree / "combo"),
                          "--output-root", str(tmp_path / "out")], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert out.returncode == 1, out.stderr[-2000:]
    table = (tmp_path / "out" / "baselines.md").read_text()
    assert "eval.threshold='abc'" in table and "HYDRA_FULL_ERROR" not in table


def test_refusal_found_while_building_writes_nothing(tmp_path):
    """A checkpoint of another variant is only found when the model loads: still nothing written."""
    import torch

    ckpt = tmp_path / "other.pt"
    torch.save({"model": {"not_a_sam2_key": torch.zeros(1)}}, ckpt)
    out = run("train.py", "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path / 'p'}",
              f"output_dir={tmp_path / 'run'}", f"model.checkpoint_path={ckpt}", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "other.pt" in out.stderr, out.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.pt"]
