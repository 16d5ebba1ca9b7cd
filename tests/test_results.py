"""Results collector: runs with / without metrics, overrides as columns, sorting, tables, CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from sam2_video.errors import ConfigError
from sam2_video.results import build_table, collect_runs, flatten_metrics, main, parse_overrides, read_run


def _run(root: Path, name: str, overrides: list[str] | None = None, metrics: dict | str | None = None,
         config: dict | None = None, config_name: str = "config") -> Path:
    d = root / name
    d.mkdir(parents=True)
    if overrides is not None:
        (d / ".hydra").mkdir()
        (d / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        (d / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"config_name": config_name}}}))
        (d / ".hydra" / "config.yaml").write_text("seed: 1\n")
    if config is not None:
        (d / "config.yaml").write_text(yaml.safe_dump(config))
    if metrics is not None:
        (d / "metrics.json").write_text(metrics if isinstance(metrics, str) else json.dumps(metrics))
    return d


def _metrics(jf: float, loss: float) -> dict:
    return {"output_dir": "x", "global_step": 10, "train_loss": loss, "final": {"val/jf": jf, "val/loss": loss},
            "best": {"val/jf": jf + 0.01}, "eval": {"overall": {"JF": jf, "num_objects": 3}, "per_video": {"a": {}}}}


@pytest.fixture
def outputs(tmp_path) -> Path:
    root = tmp_path / "outputs"
    _run(root, "multirun/d/t/0", ["data=endovis17", "loss=dice_main"], _metrics(0.5, 2.0))
    _run(root, "multirun/d/t/1", ["data=endovis18", "loss=dice_main"], _metrics(0.7, 3.0))
    _run(root, "multirun/d/t/2", ["data=endovis18", "loss=focal_main", "+extra=1"])  # crashed: no metrics
    _run(root, "combo", [], _metrics(0.6, 1.0), config_name="combo/endovis18/1")
    _run(root, "plain", None, _metrics(0.4, 4.0), config={"task_name": "best", "model": {"variant": "debug"}})
    _run(root, "broken", ["loss=equal"], "{not json")
    _run(root, "broken/wandb/run-1/files", None, config={"lr": 1})  # a logger's file, not a run
    return root


def test_flatten_and_parse_overrides():
    flat = flatten_metrics(_metrics(0.5, 2.0))
    assert flat == {"global_step": 10, "train_loss": 2.0, "val/jf": 0.5, "val/loss": 2.0, "best/val/jf": 0.51,
                    "eval/JF": 0.5, "eval/num_objects": 3}
    assert parse_overrides(["a.b=1", "+c=x=y", "++d=2", "~e"]) == {"a.b": "1", "c": "x=y", "d": "2", "e": "(deleted)"}


def test_collect_lists_every_run_including_those_without_metrics(outputs):
    runs = {r.path.relative_to(outputs).as_posix(): r for r in collect_runs(outputs)}
    assert set(runs) == {"multirun/d/t/0", "multirun/d/t/1", "multirun/d/t/2", "combo", "plain", "broken"}
    assert runs["multirun/d/t/2"].status == "no metrics" and runs["multirun/d/t/2"].settings["extra"] == "1"
    assert runs["broken"].status == "bad metrics"
    assert runs["combo"].settings == {"config_name": "combo/endovis18/1"}
    assert runs["plain"].settings == {"task_name": "best", "model.variant": "debug"}


def test_table_sorted_by_metric_with_runs_without_it_last(outputs):
    table = build_table(collect_runs(outputs), outputs, sort_by="val/jf")
    assert [r["run"] for r in table.rows] == ["multirun/d/t/1", "combo", "multirun/d/t/0", "plain", "broken",
                                              "multirun/d/t/2"]
    assert table.columns[:4] == ["run", "status", "config_name", "loss"]
    assert table.columns.index("val/jf") > table.columns.index("extra")
    up = build_table(collect_runs(outputs), outputs, sort_by="val/loss", ascending=True, metric_patterns=["val/*"])
    assert [r["run"] for r in up.rows][:2] == ["combo", "multirun/d/t/0"]
    assert [c for c in up.columns if "/" in c] == ["val/loss", "val/jf"]
    by_data = build_table(collect_runs(outputs), outputs, sort_by="data")
    assert [r.get("data") for r in by_data.rows][:3] == ["endovis17", "endovis18", "endovis18"]


def test_varying_only_and_unknown_sort_column(outputs):
    runs = [r for r in collect_runs(outputs) if r.path.parent.name == "t"][:2]
    table = build_table(runs, outputs, varying_only=True)
    assert "data" in table.columns and "loss" not in table.columns
    with pytest.raises(ConfigError, match="no such column"):
        build_table(runs, outputs, sort_by="val/JF")


def test_cli_writes_markdown_and_csv_atomically(outputs, tmp_path, capsys):
    main([str(outputs), "--sort-by", "eval/JF", "--out", str(tmp_path / "tables" / "all")])
    md = (tmp_path / "tables" / "all.md").read_text()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "tables" / "all.csv").read_text())))
    assert md == capsys.readouterr().out and md.splitlines()[2].startswith("| multirun/d/t/1 | ok |")
    assert rows[0]["eval/JF"] == "0.7" and rows[-1]["status"] == "no metrics" and rows[-1]["val/jf"] == ""
    assert not [p for p in (tmp_path / "tables").iterdir() if p.name.startswith(".")]  # no temp files left
    main([str(outputs)])  # default: <outputs>/results.{md,csv}; not picked up as runs later
    assert (outputs / "results.md").is_file() and len(collect_runs(outputs)) == 6


def test_cli_bad_input_exits_2(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "missing")])
    assert exc.value.code == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "empty")])
    assert exc.value.code == 2


def _eval_run(root: Path, name: str, jf: float, data_choice: str) -> Path:
    """An evaluation-only run as baseline_eval.py leaves it: summary.json + Hydra's files."""
    d = _run(root, name, ["eval.threshold=0.4"])
    (d / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(
        {"hydra": {"job": {"config_name": "config"}, "runtime": {"choices": {"data": data_choice}}}}))
    (d / "summary.json").write_text(json.dumps({"overall": {"JF": jf, "J": jf - 0.01, "num_objects": 4},
                                                "per_video": {"v": {"JF": jf}}, "settings": {"threshold": 0.4}}))
    return d


def test_evaluation_only_runs_are_collected_next_to_training_runs(outputs):
    _eval_run(outputs, "evals/zero_shot", 0.65, "cholecseg8k")
    (outputs / "multirun/d/t/0/eval").mkdir()  # a training run's own evaluation is not a separate run
    (outputs / "multirun/d/t/0/eval/summary.json").write_text(json.dumps({"overall": {"JF": 0.5}}))
    runs = {r.path.relative_to(outputs).as_posix(): r for r in collect_runs(outputs)}
    assert "multirun/d/t/0/eval" not in runs
    ev = runs["evals/zero_shot"]
    assert ev.status == "ok" and ev.settings["run_type"] == "eval" and ev.dataset == "cholecseg8k"
    stream = _eval_run(outputs, "streams/s1", 0.3, "endovis17")
    summary = json.loads((stream / "summary.json").read_text())
    (stream / "summary.json").write_text(json.dumps({**summary, "run": {"task": "stream"}}))
    assert read_run(stream).settings["run_type"] == "stream"
    assert ev.metrics == {"eval/JF": 0.65, "eval/J": 0.64, "eval/num_objects": 4}
    assert runs["multirun/d/t/1"].dataset == "endovis18" and runs["combo"].dataset == "endovis18"
    assert runs["plain"].dataset == "unknown"
    table = build_table(list(runs.values()), outputs, sort_by="eval/JF")
    assert [r["run"] for r in table.rows][:3] == ["multirun/d/t/1", "evals/zero_shot", "combo"]


def test_one_plot_per_metric_sorted_and_coloured_by_dataset(outputs, tmp_path):
    from sam2_video.results_plots import lower_is_better, plot_name, ranked

    _eval_run(outputs, "evals/zero_shot", 0.65, "cholecseg8k")
    main([str(outputs), "--sort-by", "eval/JF", "--out", str(tmp_path / "res")])
    table = build_table(collect_runs(outputs), outputs, sort_by="eval/JF")
    metric_cols = table.columns[table.columns.index("eval/JF"):]
    files = sorted(p.name for p in (tmp_path / "res_plots").iterdir())
    assert files == sorted(plot_name(m) for m in metric_cols)
    assert "eval_JF.png" in files and "val_loss.png" in files
    assert [n for n, _ in ranked("eval/JF", table.rows)] == ["multirun/d/t/1", "evals/zero_shot", "combo",
                                                             "multirun/d/t/0", "plain"]
    assert lower_is_better("val/loss") and not lower_is_better("eval/JF")
    assert [v for _, v in ranked("val/loss", table.rows, ascending=True)] == [1.0, 2.0, 3.0, 4.0]
    main([str(outputs), "--no-plots", "--out", str(tmp_path / "bare")])
    assert not (tmp_path / "bare_plots").exists()


def test_default_sort_falls_back_to_the_evaluation_metric(tmp_path):
    """A folder of evaluation-only / streaming runs (no val/jf anywhere) sorts by eval/JF, best first."""
    root = tmp_path / "evals"
    for name, jf in (("a", 0.2), ("b", 0.7), ("c", 0.5)):
        _eval_run(root, name, jf, "synthetic")
    table = build_table(collect_runs(root), root)
    assert table.sort_by == "eval/JF" and [r["run"] for r in table.rows] == ["b", "c", "a"]
    main([str(root), "--no-plots"])  # the CLI default no longer fails on such a folder
    md = (root / "results.md").read_text()
    assert md.index("| b ") < md.index("| c ") < md.index("| a ")
    # with training runs present val/jf wins; with no metrics at all the run folder is the key
    _run(root, "train", ["optim.lr=1"], _metrics(0.1, 1.0))
    assert build_table(collect_runs(root), root).sort_by == "val/jf"
    bare = tmp_path / "bare"
    _run(bare, "x", ["optim.lr=1"])
    assert build_table(collect_runs(bare), bare).sort_by == "run"


def test_runs_from_before_the_prompt_group_share_the_prompt_kind_column(tmp_path):
    """Older runs set eval.prompt_type (an override, or config.yaml): listed under prompt.kind with new runs."""
    root = tmp_path / "outputs"
    _run(root, "old_override", ["eval.prompt_type=box", "eval.num_pos_points=2"], _metrics(0.5, 1.0))
    _run(root, "new_override", ["prompt.kind=point"], _metrics(0.6, 1.0))
    _run(root, "old_config", None, _metrics(0.4, 1.0), config={"eval": {"prompt_type": "mask"}})
    _run(root, "new_config", None, _metrics(0.3, 1.0), config={"prompt": {"kind": "auto"}, "eval": {}})
    table = build_table(collect_runs(root), root, sort_by="val/jf")
    assert [r.get("prompt.kind") for r in table.rows] == ["point", "box", "mask", "auto"]
    assert "eval.prompt_type" not in table.columns and "prompt.num_pos_points" in table.columns


def test_results_plots_does_not_import_results():
    """No import circle: the plots module takes plain data."""
    import subprocess
    import sys

    code = "import sys, sam2_video.results_plots; assert 'sam2_video.results' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_failed_submitit_job_shows_its_log_line(tmp_path):
    """A multirun job run by submitit that left no metrics: status failed, the cause from submitit's log."""
    import yaml

    sweep = tmp_path / "multirun"
    for num, job_id in (("0", "111_0"), ("1", "111_1")):
        (sweep / num / ".hydra").mkdir(parents=True)
        (sweep / num / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([f"optim.lr={num}"]))
        (sweep / num / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"id": job_id, "num": int(num)}}}))
        (sweep / ".submitit" / job_id).mkdir(parents=True)
        (sweep / ".submitit" / job_id / f"{job_id}_0_log.err").write_text(
            "loading\nRuntimeError: CUDA out of memory\nsrun: error: task 0 exited\n" if num == "1" else "fine\n")
    (sweep / "0" / "metrics.json").write_text('{"final": {"val/jf": 0.5}}')
    runs = {r.path.name: r for r in collect_runs(sweep)}
    assert sorted(runs) == ["0", "1"]  # .submitit holds no runs
    assert runs["0"].status == "ok" and not runs["0"].error
    assert runs["1"].status == "failed" and "CUDA out of memory" in runs["1"].error and "111_1" in runs["1"].error
    table = build_table(list(runs.values()), sweep)
    assert table.columns[-1] == "error"
