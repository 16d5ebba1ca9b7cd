"""Collect every run under an outputs folder into one table (markdown + CSV).

    python -m sam2_video.results outputs/multirun [--sort-by val/jf] [--ascending] [--out results]

Without ``--sort-by`` the table is sorted by the first of ``DEFAULT_SORT_KEYS`` that some run has
(``val/jf`` for training runs, ``eval/JF`` for evaluation-only and streaming runs), else by the
first metric column, else by run folder.

A run is a folder holding ``metrics.json`` (written by ``train(cfg)``), ``summary.json`` (an
evaluation-only run of ``baseline_eval.py``: its ``overall`` numbers become the ``eval/*`` columns,
the same names as a training run's evaluation, and ``run_type`` says ``eval``, or the summary's
``run.task``, e.g. ``stream``),
``.hydra/overrides.yaml`` or ``config.yaml``; a run without (readable) metrics is listed with its
status, never dropped. Besides the tables, one bar chart per metric column (runs sorted, one colour
per dataset) goes to ``<out>_plots/`` (``sam2_video.results_plots``; ``--no-plots`` skips them).
Columns: ``run`` (path under the outputs folder), ``status``, ``config_name`` (from
``.hydra/hydra.yaml`` when not the root ``config``, e.g. ``combo/endovis18/1``), one column per
command-line override (``.hydra/overrides.yaml``; without it a few keys of ``config.yaml``),
then the metrics: ``final`` validation metrics under their own names (``val/jf``), other
sections prefixed (``best/val/jf``, ``before/val/jf``, ``eval/JF`` from ``eval.overall``) and
top-level numbers (``train_loss``, ``global_step``). Multirun folders of every launcher and sweeper
are read the same way (basic, joblib, submitit: a job that failed is ``failed`` with its log's last
error line in ``error``, from a batch job's eval.log or submitit's ``.submitit/<job id>/`` log); for
an Optuna search the study's best trial (from its SQLite storage) is printed below the table.
See docs/experiments.md and docs/scale_out.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml
from loguru import logger

from sam2_video.errors import ConfigError
from sam2_video.renamed_keys import current_key, former_keys
from sam2_video.results_render import to_csv, to_markdown, write_tables  # noqa: F401  (public API)
from sam2_video.runs.sweeps import SUBMITIT_DIR, job_failure, optuna_studies

METRICS_FILE = "metrics.json"
EVAL_SUMMARY_FILE = "summary.json"  # baseline_eval.py's output (sam2_video.eval.evaluate)
CONFIG_FALLBACK_KEYS: tuple[str, ...] = ("task_name", "model.variant", "data.root", "prompt.kind", "optim.lr")
DEFAULT_SORT_KEYS: tuple[str, ...] = ("val/jf", "eval/JF", "best/val/jf", "eval/J", "val/dice", "eval/dice")


@dataclass
class Run:
    """One run folder: where it is, what was chosen, what it measured."""

    path: Path
    status: str = "ok"                                      # ok | no metrics | bad metrics | failed
    settings: dict[str, str] = field(default_factory=dict)  # overrides (or config.yaml keys)
    metrics: dict[str, float] = field(default_factory=dict)
    dataset: str = ""                                       # for the plots' colours (see dataset_of)
    error: str = ""                                         # a failed multirun job: its log's last error line


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        logger.warning(f"{path}: unreadable ({str(exc).splitlines()[0]}); ignored")
        return None


def _select(tree: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def flatten_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Numbers of a ``metrics.json``: ``final`` unprefixed, ``eval.overall`` as ``eval/*``, ``<section>/<key>``."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if _is_number(value):
            out[key] = value
        elif isinstance(value, dict):
            section = value.get("overall", {}) if key == "eval" else value
            prefix = "" if key == "final" else f"{key}/"
            out.update({f"{prefix}{k}": v for k, v in section.items() if _is_number(v)})
    return out


def parse_overrides(items: Sequence[Any]) -> dict[str, str]:
    """``["data=endovis18", "+x=1", "~y"]`` -> ``{"data": "endovis18", "x": "1", "y": "(deleted)"}``; a
    removed key of an older run is listed under its replacement (``eval.prompt_type`` -> ``prompt.kind``)."""
    out: dict[str, str] = {}
    for item in items:
        text = str(item)
        if text.startswith("~"):
            out[current_key(text[1:].split("=", 1)[0])] = "(deleted)"
            continue
        key, _, value = text.lstrip("+").partition("=")
        out[current_key(key)] = value
    return out


def read_run(path: Path) -> Run:
    """Settings and metrics of one run folder (missing / corrupt files only change ``status``)."""
    run = Run(path)
    hydra_dir = path / ".hydra"
    hydra_cfg = _load_yaml(hydra_dir / "hydra.yaml") if (hydra_dir / "hydra.yaml").is_file() else None
    config_name = _select(hydra_cfg, "hydra.job.config_name")
    if config_name and config_name != "config":
        run.settings["config_name"] = str(config_name)
    if (hydra_dir / "overrides.yaml").is_file():
        run.settings.update(parse_overrides(_load_yaml(hydra_dir / "overrides.yaml") or []))
    elif (path / "config.yaml").is_file():
        cfg = _load_yaml(path / "config.yaml")
        for key in CONFIG_FALLBACK_KEYS:  # an older run's config.yaml may hold the key's former name
            value = next((v for k in (key, *former_keys(key)) if (v := _select(cfg, k)) is not None), None)
            if value is not None:
                run.settings[key] = str(value)
    run.dataset = dataset_of(path, run.settings, hydra_cfg)
    metrics_path = path / METRICS_FILE
    eval_only = not metrics_path.is_file() and (path / EVAL_SUMMARY_FILE).is_file()
    if eval_only:
        metrics_path = path / EVAL_SUMMARY_FILE
        run.settings["run_type"] = "eval"
    failure = job_failure(path, hydra_cfg, metrics_path.is_file())
    if failure:
        run.status, run.error = "failed", failure
    if not metrics_path.is_file():
        run.status = "failed" if failure else "no metrics"
        return run
    try:
        data = json.loads(metrics_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        run.metrics = flatten_metrics({"eval": data} if eval_only else data)
        task = _select(data, "run.task") if eval_only else None
        if isinstance(task, str) and task:
            run.settings["run_type"] = task  # e.g. "stream" (python -m sam2_video.stream)
    except (OSError, ValueError) as exc:
        logger.warning(f"{metrics_path}: unreadable ({exc}); run listed as 'bad metrics'")
        run.status = "bad metrics"
    return run


def dataset_of(path: Path, settings: dict[str, str], hydra_cfg: Any) -> str:
    """The dataset a run used: the ``data`` override, Hydra's recorded ``data`` choice, a combo's
    folder (``combo/endovis18/1``), else the last folder of ``data.root`` in ``config.yaml``."""
    if settings.get("data"):
        return settings["data"]
    choice = _select(hydra_cfg, "hydra.runtime.choices.data")
    if choice:
        return str(choice)
    parts = settings.get("config_name", "").split("/")
    if len(parts) == 3 and parts[0] == "combo":
        return parts[1]
    root = _select(_load_yaml(path / "config.yaml"), "data.root") if (path / "config.yaml").is_file() else None
    return Path(str(root)).name if root else "unknown"


def find_run_dirs(root: Path) -> list[Path]:
    """Folders under ``root`` (itself included) that look like runs, sorted.

    A folder with only ``config.yaml`` inside another run (e.g. ``wandb/run-*/files``) is not a run,
    nor is a training run's own evaluation folder (``<run>/eval/summary.json``).
    """
    strong = {p.parent for p in root.rglob(METRICS_FILE) if SUBMITIT_DIR not in p.parts}
    trained = set(strong)
    strong |= {p.parent for p in root.rglob(EVAL_SUMMARY_FILE) if not any(a in trained for a in p.parents)}
    strong |= {p.parent.parent for p in root.rglob(".hydra/overrides.yaml")}
    weak = {p.parent for p in root.rglob("config.yaml") if p.parent.name != ".hydra"} - strong
    found = strong | weak
    weak = {d for d in weak if not any(a in found for a in d.parents)}
    return sorted(strong | weak)


def collect_runs(root: str | Path) -> list[Run]:
    """Every run under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; pass an outputs folder, e.g. outputs/multirun")
    runs = [read_run(d) for d in find_run_dirs(root)]
    if not runs:
        raise ConfigError(f"{root}: no runs found (no metrics.json, config.yaml or .hydra/overrides.yaml below it)")
    return runs


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]
    sort_by: str = "run"  # the column the rows are sorted by


def build_table(
    runs: Sequence[Run],
    root: str | Path,
    sort_by: str | None = None,
    ascending: bool = False,
    metric_patterns: Sequence[str] | None = None,
    varying_only: bool = False,
) -> Table:
    """Rows sorted by ``sort_by`` (runs without it last, then by path); metric columns filtered by glob.

    ``sort_by`` None: the first of ``DEFAULT_SORT_KEYS`` present (see :func:`default_sort_key`).

    ``varying_only`` drops setting columns whose value is the same in every run.
    """
    root = Path(root)
    setting_cols = list(dict.fromkeys(k for r in runs for k in r.settings))
    setting_cols.sort(key=lambda c: c != "config_name")  # stable: config_name first, the rest as first seen
    if varying_only and len(runs) > 1:
        setting_cols = [c for c in setting_cols if len({r.settings.get(c) for r in runs}) > 1]
    metric_cols = sorted({k for r in runs for k in r.metrics})
    if sort_by is None:
        sort_by = default_sort_key(metric_cols)
    if metric_patterns:
        metric_cols = [c for c in metric_cols if c == sort_by or any(fnmatch.fnmatch(c, p) for p in metric_patterns)]
    known = {"run", "status", *setting_cols, *metric_cols}
    if sort_by not in known:
        if metric_cols:
            raise ConfigError(f"--sort-by {sort_by}: no such column; metrics: {', '.join(metric_cols)}")
        logger.warning(f"--sort-by {sort_by}: no run has metrics; sorted by run folder")
        sort_by = "run"
    elif sort_by in metric_cols:
        metric_cols = [sort_by] + [c for c in metric_cols if c != sort_by]

    rows = [{"run": r.path.relative_to(root).as_posix(), "status": r.status, **r.settings, **r.metrics,
             **({"error": r.error} if r.error else {})} for r in runs]
    error_col = ["error"] if any(r.error for r in runs) else []

    def key(row: dict[str, Any]) -> tuple:
        value = row.get(sort_by)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if missing:
            return (1, 0, "", row["run"])
        if isinstance(value, str):
            try:
                value = float(value)  # numeric overrides (optim.lr=1e-4) sort as numbers
            except ValueError:
                pass
        if _is_number(value):
            return (0, value if ascending else -value, "", row["run"])
        return (0, 0, str(value), row["run"])

    rows.sort(key=key)  # numbers best first (or smallest with ascending); text A-Z
    return Table(["run", "status", *setting_cols, *metric_cols, *error_col], rows, sort_by)


def default_sort_key(metric_cols: Sequence[str]) -> str:
    """The first of ``DEFAULT_SORT_KEYS`` among ``metric_cols``, else the first metric, else ``run``."""
    present = set(metric_cols)
    return next((k for k in DEFAULT_SORT_KEYS if k in present), metric_cols[0] if metric_cols else "run")


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sam2_video.results OUTPUTS_DIR``: write the tables, print the markdown one."""
    from sam2_video.cli import exit_on_user_error
    from sam2_video.results_plots import plot_metrics  # matplotlib: loaded only by the command

    p = argparse.ArgumentParser(prog="python -m sam2_video.results", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outputs_dir", help="folder to search for runs, e.g. outputs/multirun")
    p.add_argument("--sort-by", default=None,
                   help=f"column to sort by, best first (default: the first present of {', '.join(DEFAULT_SORT_KEYS)})")
    p.add_argument("--ascending", action="store_true", help="smallest first (for losses)")
    p.add_argument("--metrics", nargs="+", default=None, help="glob patterns of metric columns to keep, e.g. 'val/*'")
    p.add_argument("--varying-only", action="store_true", help="hide settings that are equal in every run")
    p.add_argument("--out", default=None, help="writes OUT.md and OUT.csv (default: <outputs_dir>/results)")
    p.add_argument("--no-plots", action="store_true", help="skip the per-metric bar charts (OUT_plots/*.png)")
    args = p.parse_args(argv)
    with exit_on_user_error():
        runs = collect_runs(args.outputs_dir)
        table = build_table(runs, args.outputs_dir, args.sort_by, args.ascending, args.metrics,
                            args.varying_only)
        out = Path(args.out or Path(args.outputs_dir) / "results")
        md, csv_path = write_tables(table, out)
        datasets = {r.path.relative_to(args.outputs_dir).as_posix(): r.dataset or "unknown" for r in runs}
        plots = [] if args.no_plots else plot_metrics(
            table.columns, table.rows, datasets, {k for r in runs for k in r.metrics},
            out.with_name(out.name + "_plots"), ascending_metrics=[table.sort_by] if args.ascending else ())
        studies = optuna_studies(runs)
    sys.stdout.write(to_markdown(table))  # the table is the command's output (pipe it to a file)
    for study in studies:
        sys.stdout.write("\n" + study.describe(Path(args.outputs_dir)) + "\n")
    logger.info(f"{len(runs)} runs -> {md}, {csv_path}" + (f", {len(plots)} plots in {plots[0].parent}" if plots else ""))


if __name__ == "__main__":
    main()
