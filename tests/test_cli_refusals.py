"""Entry points refuse bad values with ONE line naming the key, exit status 2, nothing written.

The scripts run in this process (``run_cli``), as ``python <script> ...`` would run them; one refusal
per script family also runs as a real subprocess (``test_a_refusal_in_a_real_process``)."""

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


def assert_refused(out, key: str) -> None:
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "HYDRA_FULL_ERROR" not in out.stderr
    errors = [ln for ln in out.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1 and key in errors[0], out.stderr[-2000:]


@pytest.mark.parametrize("script,override,key", [
    pytest.param("train.py", "trainer.max_epochs=abc", "trainer.max_epochs", marks=pytest.mark.slow),
    ("train.py", "model.image_size=100", "model.image_size"),
    ("baseline_eval.py", "eval.threshold=abc", "eval.threshold"),
])
def test_bad_value_is_one_line_and_nothing_is_written(tmp_path, run_cli, script, override, key):
    out = run_cli(script, "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path}", override, cwd=tmp_path)
    assert_refused(out, key)
    assert not list(tmp_path.rglob("*")), f"files written: {list(tmp_path.rglob('*'))[:5]}"


def test_a_refusal_in_a_real_process(tmp_path):
    """The same refusal as a user gets it from a shell: a fresh interpreter, exit status 2, one line."""
    out = run("baseline_eval.py", "sam2=debug", f"paths.root_dir={tmp_path}", "eval.threshold=abc", cwd=tmp_path)
    assert_refused(out, "eval.threshold")
    assert not list(tmp_path.rglob("*"))


def test_bad_value_with_explicit_output_dir_writes_nothing(tmp_path, run_cli):
    out = run_cli("train.py", "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path}", f"output_dir={tmp_path / 'run'}",
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


def test_multi_baseline_eval_reports_the_real_error(tmp_path, run_cli):
    """A failing config's row names its error, not Hydra's HYDRA_FULL_ERROR hint."""
    tree = tmp_path / "configs"
    (tree / "combo").mkdir(parents=True)
    for p in (REPO / "configs").iterdir():
        if p.name != "combo":
            os.symlink(p, tree / p.name)
    (tree / "combo" / "bad.yaml").write_text("# @package _global_\ndefaults:\n  - /config\n  - override /sam2: debug\n"
                                             "  - _self_\neval:\n  threshold: abc\n")
    out = run_cli("multi_baseline_eval.py", "--configs-dir", str(tree / "combo"), "--output-root", str(tmp_path / "out"))
    assert out.returncode == 1, out.stderr[-2000:]
    table = (tmp_path / "out" / "baselines.md").read_text()
    assert "eval.threshold='abc'" in table and "HYDRA_FULL_ERROR" not in table


def test_refusal_found_while_building_writes_nothing(tmp_path, run_cli):
    """A checkpoint of another variant is only found when the model loads: still nothing written."""
    import torch

    ckpt = tmp_path / "other.pt"
    torch.save({"model": {"not_a_sam2_key": torch.zeros(1)}}, ckpt)
    out = run_cli("train.py", "sam2=debug", "trainer=cpu", f"paths.root_dir={tmp_path / 'p'}",
              f"output_dir={tmp_path / 'run'}", f"model.checkpoint_path={ckpt}", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "other.pt" in out.stderr, out.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.pt"]


SEED_002 = [  # ../seeds/002: the AutoSAM2 variant's command lines, and the override each flag maps to
    ("train.py", ["--checkpoint", "ck/sam2.pth", "--batch-size", "8", "--epochs", "50", "--lr", "1e-4"],
     ["model.checkpoint_path=ck/sam2.pth", "data.batch_size=8", "trainer.max_epochs=50", "optim.lr=1e-4"]),
    ("baseline_eval.py", ["--checkpoint", "ck/sam2.pth", "--weights", "w.pth"],
     ["model.checkpoint_path=ck/sam2.pth", "model.checkpoint_path=w.pth"]),
    ("train.py", ["--config", "sample_config.yaml", "--lr=1e-4", "--max-epochs", "100", "--no-wandb", "--debug"],
     ["--config-name", "optim.lr=1e-4", "trainer.max_epochs=100", "log_level=DEBUG"]),
    ("train.py", ["--dataset", "polyp_gen", "--gpu", "0", "--output-dir", "out", "sam2=debug"],
     ["data=polyp_gen", "trainer.devices=[0]", "output_dir=out"]),
]


@pytest.mark.parametrize("script,flags,overrides", SEED_002)
def test_argparse_flags_of_the_seeds_name_their_override(tmp_path, run_cli, script, flags, overrides):
    """Seed 001 / 002 command lines: one line naming the Hydra override of each flag, exit 2, nothing written."""
    out = run_cli(script, *flags, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "unrecognized arguments" not in out.stderr
    errors = [ln for ln in out.stderr.splitlines() if "ERROR" in ln]
    assert len(errors) == 1, out.stderr[-2000:]
    for flag in (f.split("=")[0] for f in flags if f.startswith("--")):
        assert flag in errors[0]
    for override in overrides:
        assert override in errors[0], (override, errors[0])
    assert not list(tmp_path.iterdir())


def test_auto_prompt_without_an_encoder_is_refused_before_writing(tmp_path, run_cli):
    """baseline_eval.py prompt.kind=auto on a model without a learned encoder: refused by the checks,
    no staged .partial files in output_dir."""
    out = run_cli("baseline_eval.py", "sam2=debug", "prompt.kind=auto", "eval.max_videos=1", f"paths.root_dir={tmp_path}",
              f"output_dir={tmp_path / 'out'}", cwd=tmp_path)
    assert_refused(out, "prompt.kind")
    assert "model.auto_prompt.enabled" in out.stderr
    assert not list(tmp_path.rglob("*")), f"files written: {list(tmp_path.rglob('*'))[:5]}"


def test_invalid_refiner_video_regex_is_refused_before_anything_runs(tmp_path, run_cli):
    out = run_cli("train_refiner.py", "experiment=refiner_demo", 'refiner.folder.video_regex="(["',
              f"paths.root_dir={tmp_path}", f"output_dir={tmp_path / 'out'}", cwd=tmp_path)
    assert_refused(out, "refiner.folder.video_regex")
    assert not list(tmp_path.rglob("*")), f"files written: {list(tmp_path.rglob('*'))[:5]}"
