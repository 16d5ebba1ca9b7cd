"""Batch evaluation as one Hydra multirun: ``launch(jobs, ...)`` sweeps ``batch.config`` over the configs.

The multirun's primary config (``batch_eval``, in Hydra's ConfigStore) holds two keys: ``batch.config``
(one config name per job, the swept value) and ``batch.plan`` (a JSON file in the output root with
each job's config tree, output folder and overrides, the shared overrides and the timeout). Its jobs
run wherever ``hydra/launcher`` says: ``basic`` (one after the other), ``joblib`` (local processes),
``submitit_local`` / ``submitit_slurm`` or a project launcher config in configs/hydra/launcher/. Each
job (:func:`evaluate_config`) runs ``baseline_eval.py`` on its config with its output in
``<root>/<config name>/`` (Hydra's job folder: ``hydra.sweep.subdir=${batch.config}``), the log in
``eval.log``, on its own GPU (``sam2_video.runs.gpu_lock``), and writes ``batch_job.json``. A job never
raises: a failing config is a report, and the other jobs go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from loguru import logger
from omegaconf import DictConfig

from sam2_video.atomic import write_json
from sam2_video.runs.batch import JOB_REPORT, REPO, BatchJob

PLAN_FILE = ".batch_plan.json"
APP_CONFIG = "batch_eval"


def _register_app_config() -> None:
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=APP_CONFIG, node={"batch": {"config": "???", "plan": "???"}})


def parallel_override(launcher: str, n: int) -> list[str]:
    """The launcher's own parallelism key: joblib ``n_jobs``, SLURM ``array_parallelism`` (others: none)."""
    if "joblib" in launcher:
        return [f"hydra.launcher.n_jobs={n}"]
    if "slurm" in launcher:
        return [f"hydra.launcher.array_parallelism={n}"]
    return []


def launch(jobs: Sequence[BatchJob], output_root: str | Path, launcher: str = "joblib", n_parallel: int = 1,
           extra: Sequence[str] = (), timeout: Optional[float] = None, hydra_overrides: Sequence[str] = ()) -> int:
    """Run ``jobs`` as one multirun on ``launcher``; returns Hydra's exit status (0: every job reported)."""
    import hydra
    from hydra.core.global_hydra import GlobalHydra

    from sam2_video.config import CONFIG_DIR

    root = Path(output_root).resolve()
    plan_path = root / PLAN_FILE
    for j in jobs:  # a report of an earlier run of a job that runs again is stale
        (j.output_dir / JOB_REPORT).unlink(missing_ok=True)
    threads = os.environ.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // max(1, n_parallel)))
    write_json(plan_path, {"extra": list(extra), "timeout": timeout, "threads": threads, "lock_dir": str(root / ".gpu_locks"),
                           "jobs": {j.name: {"config_dir": str(j.config_dir), "output_dir": str(j.output_dir.resolve()),
                                             "overrides": list(j.overrides)} for j in jobs}})
    names = ",".join("'" + j.name.replace("'", "\\'") + "'" for j in jobs)
    argv = ["--multirun", f"hydra/launcher={launcher}", *parallel_override(launcher, n_parallel),
            f"hydra.sweep.dir={root}", "hydra.sweep.subdir=${batch.config}", "hydra/job_logging=none",
            f"batch.plan={plan_path}", f"batch.config={names}", *hydra_overrides]
    logger.info(f"{len(jobs)} configs on hydra/launcher={launcher} ({n_parallel} in parallel)")
    _register_app_config()
    GlobalHydra.instance().clear()
    main = hydra.main(config_path=str(CONFIG_DIR), config_name=APP_CONFIG, version_base="1.3")(evaluate_config)
    saved = sys.argv
    sys.argv = [saved[0] if saved else "multi_baseline_eval.py", *argv]
    try:
        main()
        return 0
    except SystemExit as exc:  # Hydra's own errors (unknown launcher, bad override) end in sys.exit(1)
        return int(exc.code or 0)
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()


def evaluate_config(cfg: DictConfig) -> dict:
    """One multirun job: ``baseline_eval.py`` on ``cfg.batch.config``; writes ``batch_job.json``, never raises."""
    import json

    from hydra.core.hydra_config import HydraConfig

    from sam2_video.runs.gpu_lock import gpu_slot

    plan = json.loads(Path(cfg.batch.plan).read_text(encoding="utf-8"))
    spec = plan["jobs"][cfg.batch.config]
    out = Path(spec["output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(REPO / "baseline_eval.py"), "--config-dir", spec["config_dir"], "--config-name",
           cfg.batch.config, f"output_dir={out}", f"hydra.run.dir={out}", *plan["extra"], *spec["overrides"]]
    env = {**os.environ, "OMP_NUM_THREADS": plan["threads"]}
    t0 = time.perf_counter()
    with open(out / "eval.log", "w", encoding="utf-8") as log, gpu_slot(plan["lock_dir"], HydraConfig.get().job.num) as gpu:
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                timeout=plan["timeout"]).returncode
        except subprocess.TimeoutExpired:
            rc = -1
            log.write(f"ERROR: timed out after {plan['timeout']} s\n")
        except OSError as exc:
            rc = -1
            log.write(f"ERROR: could not start baseline_eval.py: {exc}\n")
    report = {"config": cfg.batch.config, "returncode": rc, "seconds": round(time.perf_counter() - t0, 2),
              "gpu": gpu, "command": cmd}
    write_json(out / JOB_REPORT, report)
    return report
