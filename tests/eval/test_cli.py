"""The three evaluation scripts: exit codes, outputs, skipping and failure reporting."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest



@pytest.fixture(scope="module")
def multi_baseline_eval(scripts):
    return scripts("multi_baseline_eval")


@pytest.fixture(scope="module")
def grid_search_threshold(scripts):
    return scripts("grid_search_threshold")


def _combo(tree, name, synth_root, extra=""):
    path = tree / "combo" / "tiny" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# @package _global_\ndefaults:\n  - /config\n  - override /sam2: debug\n  - _self_\n"
        f"data:\n  root: {synth_root}\n  synthetic: {{num_videos: 8, num_frames: 8, size: [64, 80]}}\n"
        f"eval: {{report: false, save_masks: false, max_videos: 1{extra}}}\n")
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory, synth_index, synth_root, repo):
    """A copy of configs/ with two tiny combos: one fine, one with a removed eval key (eval.prompt_type)."""
    t = tmp_path_factory.mktemp("cfg") / "configs"
    shutil.copytree(repo / "configs", t)
    shutil.rmtree(t / "combo", ignore_errors=True)
    _combo(t, "good", synth_root)
    _combo(t, "bad", synth_root, ", prompt_type: lasso")
    return t


def test_baseline_eval_bad_config_exits_2(tmp_path, synth_root, synth_overrides, run_cli):
    r = run_cli("baseline_eval.py", "sam2=debug", f"data.root={synth_root}", *synth_overrides, "prompt.kind=lasso",
                f"output_dir={tmp_path}", f"hydra.run.dir={tmp_path}")
    assert r.returncode == 2, r.stderr[-2000:]
    assert "prompt.kind='lasso'" in r.stderr
    assert not (tmp_path / "summary.json").exists()


def test_multi_baseline_eval(multi_baseline_eval, tree, tmp_path):
    out = tmp_path / "runs"
    argv = ["--configs-dir", str(tree / "combo"), "--output-root", str(out), "--jobs", "2"]
    assert multi_baseline_eval.main(argv) == 1  # one config fails
    table = pd.read_csv(out / "baselines.csv")
    status = dict(zip(table.config, table.status))
    assert status == {"combo/tiny/bad": "failed", "combo/tiny/good": "ok"}
    assert "eval.prompt_type=lasso" in table[table.config == "combo/tiny/bad"].error.iloc[0]
    assert "use prompt.kind=lasso" in table[table.config == "combo/tiny/bad"].error.iloc[0]
    assert (out / "combo/tiny/good/summary.json").is_file()
    prompts = dict(zip(table.config, table.prompt.fillna("")))
    assert prompts == {"combo/tiny/bad": "", "combo/tiny/good": "mask"}  # what the run evaluated (summary.json)
    md = (out / "baselines.md").read_text()
    assert "Failures" in md and "combo/tiny/bad" in md
    # second run: a finished config is skipped
    assert multi_baseline_eval.main([*argv, "--filter", "good"]) == 0
    assert pd.read_csv(out / "baselines.csv").status.tolist() == ["skipped"]
    assert multi_baseline_eval.main(["--configs-dir", str(tree / "combo"), "--filter", "nomatch"]) == 2


def test_grid_search_threshold_cli(grid_search_threshold, tree, tmp_path, capsys):
    rc = grid_search_threshold.main(["--config-path", str(tree / "combo/tiny/good.yaml"), "--output-dir",
                                     str(tmp_path), "--thresholds", "0.4,0.6"])
    assert rc == 0
    best = json.loads((tmp_path / "best_thresholds.json").read_text())["best"]
    assert best["JF"]["threshold"] in (0.4, 0.6)
    assert "best threshold" in capsys.readouterr().out
    assert grid_search_threshold.main(["--config-path", "combo/none", "--output-dir", str(tmp_path)]) == 2
    assert grid_search_threshold.main(["--config-path", str(tree / "combo/tiny/good.yaml"), "--output-dir",
                                       str(tmp_path), "--thresholds", "0.4,1.5"]) == 2
