"""Batch evaluation of many configs (configs/combo/**.yaml): the plan and the results table.

``discover`` lists the configs, ``split_finished`` skips those whose ``summary.json`` exists (unless
forced); the jobs themselves run as one Hydra multirun on a launcher (``sam2_video.runs.batch_launch``),
each leaving ``<root>/<name>/`` with ``eval.log``, ``batch_job.json`` (exit status, seconds) and, when it
worked, ``summary.json``. ``finish_job`` reads a job back from that folder, whatever launcher ran it, and
``write_summary`` writes the table (baselines.csv / baselines.md) with status, prompt kind, metrics and
the failure's last log line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sam2_video.errors import ConfigError, UserError
from sam2_video.metrics.summary import SUMMARY_FILE, EvalSummary
from sam2_video.metrics.table_io import markdown_table, write_csv, write_markdown

REPO = Path(__file__).resolve().parents[2]
JOB_REPORT = "batch_job.json"  # written by each launcher job: {"returncode", "seconds", "command"}
TABLE_COLUMNS = ("config", "status", "prompt", "JF", "J", "F", "dice", "challenge_iou", "mciou", "num_objects",
                 "seconds", "output_dir", "error")


@dataclass
class BatchJob:
    """One config to evaluate."""

    name: str  # config name relative to the tree root, e.g. combo/endovis18/1
    config_dir: Path
    output_dir: Path
    status: str = "pending"  # ok | failed | skipped | no_run
    seconds: float = 0.0
    error: str = ""
    metrics: dict = field(default_factory=dict)
    prompt: str = ""  # the evaluated prompt kind (summary.json "prompt"), e.g. mask / box / point / auto
    overrides: list = field(default_factory=list)  # this job's own overrides (e.g. its trained checkpoint)


def config_root(path: Path) -> Path:
    """Nearest parent of ``path`` holding config.yaml (the Hydra tree root)."""
    for parent in [path, *path.parents]:
        if (parent / "config.yaml").is_file():
            return parent
    raise ConfigError(f"{path}: not inside a config tree (no parent folder holds config.yaml)")


def discover(configs_dir: str | Path, filters: Sequence[str] = (), output_root: str | Path = "outputs/baselines") -> list[BatchJob]:
    """Jobs for every ``*.yaml`` under ``configs_dir`` whose name contains any of ``filters``."""
    base = Path(configs_dir).resolve()
    if not base.is_dir():
        raise ConfigError(f"{configs_dir}: no such folder; pass --configs-dir configs/combo")
    root = config_root(base)
    jobs = []
    for p in sorted(base.rglob("*.yaml")):
        name = p.relative_to(root).with_suffix("").as_posix()
        if filters and not any(f in name for f in filters):
            continue
        jobs.append(BatchJob(name, root, Path(output_root) / name))
    if not jobs:
        raise ConfigError(f"no config under {configs_dir} matches {list(filters) or 'anything'}; check --filter")
    return jobs


def _read_result(job: BatchJob) -> None:
    """Fill ``job.metrics`` / ``job.prompt`` from its summary.json (left empty when there is none)."""
    try:
        summary = EvalSummary.read(job.output_dir)
    except UserError:
        job.metrics, job.prompt = {}, ""
        return
    job.metrics, job.prompt = summary.overall, str((summary.prompt or {}).get("kind", ""))


def _last_error(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
                 if ln.strip() and "HYDRA_FULL_ERROR" not in ln]  # Hydra's hint is never the cause
    except OSError:
        return "no log"
    errors = [ln for ln in lines if "ERROR" in ln or "Error" in ln]
    return (errors or lines or ["(empty log)"])[-1][-300:]


def finish_job(job: BatchJob) -> BatchJob:
    """Fill ``job`` from what its launcher job left in ``job.output_dir`` (``batch_job.json``, summary.json,
    eval.log): ok, failed with the log's last error line, or failed because the job never reported."""
    _read_result(job)
    try:
        report = json.loads((job.output_dir / JOB_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        job.status = "failed"
        job.error = f"no {JOB_REPORT}: the launcher job did not finish; {_last_error(job.output_dir / 'eval.log')}"
        return job
    job.seconds = float(report.get("seconds", 0.0))
    rc = report.get("returncode")
    if rc == 0 and job.metrics:
        job.status, job.error = "ok", ""
    else:
        job.status, job.error = "failed", f"exit {rc}: {_last_error(job.output_dir / 'eval.log')}"
    return job


def split_finished(jobs: list[BatchJob], force: bool) -> tuple[list[BatchJob], list[BatchJob]]:
    """(jobs to run, jobs skipped because their summary.json exists); ``force`` runs them all."""
    todo, done = [], []
    for j in jobs:
        if not force and (j.output_dir / SUMMARY_FILE).is_file():
            j.status = "skipped"
            _read_result(j)
            done.append(j)
        else:
            todo.append(j)
    return todo, done


def table_rows(jobs: Sequence[BatchJob]) -> list[dict]:
    rows = []
    for j in jobs:
        m = j.metrics
        rows.append({"config": j.name, "status": j.status, "prompt": j.prompt, **{k: m.get(k) for k in ("JF", "J", "F", "dice",
                     "challenge_iou", "mciou", "num_objects")}, "seconds": round(j.seconds, 1),
                     "output_dir": str(j.output_dir), "error": j.error})
    return rows


def write_summary(jobs: Sequence[BatchJob], output_root: str | Path) -> str:
    """Write baselines.csv / baselines.md; returns the markdown."""
    root = Path(output_root)
    rows = table_rows(jobs)
    write_csv(root / "baselines.csv", rows, TABLE_COLUMNS)
    md = markdown_table(rows, [c for c in TABLE_COLUMNS if c not in ("output_dir", "error")])
    failed = [j for j in jobs if j.status == "failed"]
    if failed:
        md += "\n## Failures\n\n" + "".join(f"- `{j.name}`: {j.error} (log: {j.output_dir / 'eval.log'})\n" for j in failed)
    write_markdown(root / "baselines.md", md)
    return md
