"""multi_baseline_eval.py plan: each combo once, each with its own trained run's checkpoint."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from omegaconf import OmegaConf

from sam2_video.combos import plan_batch, trained_runs
from sam2_video.config import CONFIG_DIR
from sam2_video.runs.batch import discover


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "configs"
    tree.mkdir()
    for p in CONFIG_DIR.iterdir():
        if p.name != "combo":
            os.symlink(p, tree / p.name)
    for n in (1, 2):
        src = CONFIG_DIR / "combo" / "endovis18" / f"{n}.yaml"
        for folder in ("combo/endovis18", "combo/generated/endovis18"):  # generate_combo_yamls output too
            (tree / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, tree / folder / f"{n}.yaml")
    return tree


def _run(root: Path, name: str, task: str, ckpt: str = "best.ckpt") -> Path:
    (root / name / "checkpoints").mkdir(parents=True)
    OmegaConf.save({"task_name": task, "seed": 1}, root / name / "config.yaml")
    (root / name / ".hydra").mkdir()
    OmegaConf.save({"task_name": "decoy"}, root / name / ".hydra" / "config.yaml")
    path = root / name / "checkpoints" / ckpt
    path.write_bytes(b"x")
    return path


def test_generated_copies_are_evaluated_once(tmp_path):
    tree = _tree(tmp_path)
    jobs = discover(tree / "combo", (), tmp_path / "out")
    assert len(jobs) == 4
    todo, left = plan_batch(jobs)
    assert [j.name for j in todo] == ["combo/endovis18/1", "combo/endovis18/2"] and not left


def test_each_combo_gets_its_own_trained_checkpoint(tmp_path):
    tree = _tree(tmp_path)
    runs = tmp_path / "multirun"
    one = _run(runs, "0", "combo_endovis18_1")
    _run(runs, "old", "combo_endovis18_2", "last.ckpt")
    time.sleep(0.01)
    two = _run(runs, "1", "combo_endovis18_2")  # newer run of the same combo wins
    _run(runs, "2", "unrelated")
    assert trained_runs(runs) == {"combo_endovis18_1": one, "combo_endovis18_2": two, "unrelated": runs / "2" / "checkpoints" / "best.ckpt"}
    todo, left = plan_batch(discover(tree / "combo", (), tmp_path / "out"), runs)
    assert [(j.name, j.overrides) for j in todo] == [("combo/endovis18/1", [f"model.checkpoint_path={one}"]),
                                                     ("combo/endovis18/2", [f"model.checkpoint_path={two}"])]
    shutil.rmtree(runs / "1")
    shutil.rmtree(runs / "old")
    todo, left = plan_batch(discover(tree / "combo", (), tmp_path / "out"), runs)
    assert [j.name for j in todo] == ["combo/endovis18/1"]
    assert [(j.name, j.status) for j in left] == [("combo/endovis18/2", "no_run")]
