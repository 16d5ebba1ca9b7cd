"""Evaluate many configs (configs/combo/**.yaml) with baseline_eval.py subprocesses, in parallel.

Each config runs as ``baseline_eval.py --config-dir <tree> --config-name <name> output_dir=<root>/<name>``
(Hydra's run dir too) with its log in ``<root>/<name>/eval.log``. A config whose ``summary.json`` exists is skipped
unless ``force``. A failing config does not stop the others; the summary table (baselines.csv /
baselines.md in ``output_root``) lists every run with its status and the failure's last log line.
GPUs: one job per visible GPU (``CUDA_VISIBLE_DEVICES`` pinned per job); CPU: jobs share the cores.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from loguru import logger
from tqdm import tqdm

from sam2_video.errors import ConfigError, UserError
from sam2_video.metrics.summary import SUMMARY_FILE, EvalSummary
from sam2_video.metrics.table_io import markdown_table, write_csv, write_markdown

REPO = Path(__file__).resolve().parents[2]
TABLE_COLUMNS = ("config", "status", "prompt", "JF", "J", "F", "dice", "challenge_iou", "mciou", "num_objects",
                 "seconds", "output_dir", "error")


@dataclass
class BatchJob:
    """One config to evaluate."""

    name: str  # config name relative to the tree root, e.g. combo/endovis18/1
    config_dir: Path
    output_dir: Path
    status: str = "pending"  # ok | failed | skipped
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


def run_job(job: BatchJob, extra: Sequence[str], env: dict, timeout: Optional[float]) -> BatchJob:
    """Run one baseline_eval.py subprocess; fills status / seconds / error / metrics."""
    job.output_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(REPO / "baseline_eval.py"), "--config-dir", str(job.config_dir),
           "--config-name", job.name, f"output_dir={job.output_dir.resolve()}",
           f"hydra.run.dir={job.output_dir.resolve()}", *extra, *job.overrides]
    log = job.output_dir / "eval.log"
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        try:
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=REPO, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = -1
            fh.write(f"ERROR: timed out after {timeout} s\n")
    job.seconds = time.perf_counter() - t0
    _read_result(job)
    if rc == 0 and job.metrics:
        job.status = "ok"
    else:
        job.status, job.error = "failed", f"exit {rc}: {_last_error(log)}"
    return job


def run_batch(jobs: list[BatchJob], output_root: str | Path, jobs_n: Optional[int] = None, force: bool = False,
              extra: Sequence[str] = (), timeout: Optional[float] = None) -> list[BatchJob]:
    """Run ``jobs`` (skipping finished ones unless ``force``), write the summary table, return the jobs."""
    todo = []
    for j in jobs:
        if not force and (j.output_dir / SUMMARY_FILE).is_file():
            j.status = "skipped"
            _read_result(j)
        else:
            todo.append(j)
    gpus = _visible_gpus()
    n = max(1, jobs_n or (len(gpus) or max(1, (os.cpu_count() or 1) // 4)))
    slots: "queue.Queue[Optional[str]]" = queue.Queue()
    for i in range(n):
        slots.put(gpus[i % len(gpus)] if gpus else None)
    threads = str(max(1, (os.cpu_count() or 1) // n))
    logger.info(f"{len(todo)} configs to evaluate, {len(jobs) - len(todo)} skipped, {n} in parallel")

    def work(job: BatchJob) -> BatchJob:
        slot = slots.get()
        try:
            env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", threads)}
            if slot is not None:
                env["CUDA_VISIBLE_DEVICES"] = slot
            return run_job(job, extra, env, timeout)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=n) as pool:
        for job in tqdm(pool.map(work, todo), total=len(todo), desc="configs", unit="config"):
            level = "INFO" if job.status == "ok" else "ERROR"
            logger.log(level, f"{job.name}: {job.status} in {job.seconds:.0f} s {job.error}")
    write_summary(jobs, output_root)
    return jobs


def _visible_gpus() -> list[str]:
    try:
        import torch

        n = torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no CUDA runtime at all
        n = 0
    vis = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [x for x in vis.split(",") if x.strip()] if vis else [str(i) for i in range(n)]
    return ids[:n]


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
