"""multi_baseline_eval.py as a Hydra multirun: a broken combo never stops the other, the table names its cause."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd
import pytest

from sam2_video.results import collect_runs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def batch():
    spec = importlib.util.spec_from_file_location("multi_baseline_eval", REPO / "multi_baseline_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(tmp_path: Path, data_root: Path) -> Path:
    """configs/ (linked) with two tiny combos: `good`, and `broken` whose dataset folder does not exist."""
    tree = tmp_path / "configs"
    (tree / "combo" / "tiny").mkdir(parents=True)
    for p in (REPO / "configs").iterdir():
        if p.name != "combo":
            os.symlink(p, tree / p.name)
    for name, root in (("good", data_root), ("broken", tmp_path / "missing_dataset")):
        (tree / "combo" / "tiny" / f"{name}.yaml").write_text(
            "# @package _global_\ndefaults:\n  - /config\n  - override /sam2: debug\n  - _self_\n"
            f"data: {{root: {root}, num_workers: 0}}\neval: {{report: false, save_masks: false, max_videos: 1}}\n")
    return tree


def test_broken_combo_does_not_stop_the_other(batch, synthetic_root, tmp_path):
    tree, out = _tree(tmp_path, synthetic_root), tmp_path / "baselines"
    argv = ["--configs-dir", str(tree / "combo"), "--output-root", str(out), "--launcher", "joblib", "--jobs", "2"]
    tail = ["--", f"paths.root_dir={tmp_path}", "hydra.launcher.verbose=1"]  # hydra.*: the multirun's; others: each eval
    assert batch.main(argv + tail) == 1  # one combo failed
    table = pd.read_csv(out / "baselines.csv").fillna("")
    rows = {r.config: r for r in table.itertuples()}
    assert {c: r.status for c, r in rows.items()} == {"combo/tiny/broken": "failed", "combo/tiny/good": "ok"}
    assert "missing_dataset" in rows["combo/tiny/broken"].error  # the cause, from the job's log
    assert rows["combo/tiny/good"].prompt == "mask" and 0.0 <= float(rows["combo/tiny/good"].JF) <= 1.0
    assert "combo/tiny/broken" in (out / "baselines.md").read_text().split("## Failures")[1]
    assert (out / "multirun.yaml").is_file()  # one Hydra multirun ran the jobs
    runs = {r.path.relative_to(out).as_posix(): r for r in collect_runs(out)}  # python -m sam2_video.results
    assert runs["combo/tiny/good"].status == "ok" and runs["combo/tiny/broken"].status == "failed"
    assert "missing_dataset" in runs["combo/tiny/broken"].error
    # again: the finished combo is skipped (--filter keeps only it)
    assert batch.main([*argv, "--filter", "good", *tail]) == 0
    assert pd.read_csv(out / "baselines.csv").status.tolist() == ["skipped"]
    # bad arguments: exit 2, nothing run
    assert batch.main(["--configs-dir", str(tree / "combo"), "--filter", "nomatch"]) == 2
    assert batch.main([*argv, "--launcher", "no_such_launcher", "--force", *tail]) == 2
