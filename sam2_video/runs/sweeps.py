"""What multirun folders hold besides the runs: job failures (any launcher) and Optuna studies.

- ``job_failure(run_dir)``: why a job of a multirun left no metrics: a batch evaluation job's
  ``batch_job.json`` (non-zero exit: the last error line of its ``eval.log``), else, for a job run by
  hydra-submitit-launcher, the last error line of submitit's log of that job
  (``<sweep dir>/.submitit/<job id>/<job id>_0_log.err``; the job id is ``hydra.job.id`` in the run's
  ``.hydra/hydra.yaml``). Empty when nothing says it failed.
- ``optuna_studies(runs)``: every Optuna study the runs are trials of (their ``.hydra/hydra.yaml`` names
  hydra-optuna-sweeper, its storage and study): its best trial read from the study's storage (SQLite:
  also a search that was killed, or one resumed into several sweep folders), else from the sweeper's
  ``optimization_results.yaml``, and the run folder of that trial (the run whose overrides are the
  trial's parameters).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

JOB_REPORT = "batch_job.json"  # sam2_video.runs.batch.JOB_REPORT (not imported: that module loads metrics code)
SUBMITIT_DIR = ".submitit"


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def last_error_line(log: Path) -> str:
    """The last line of ``log`` that names an error (else its last line); Hydra's HYDRA_FULL_ERROR hint skipped."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines()
                 if ln.strip() and "HYDRA_FULL_ERROR" not in ln]
    except OSError:
        return ""
    errors = [ln for ln in lines if "ERROR" in ln or "Error" in ln]
    return (errors or lines or [""])[-1][-300:]


def submitit_log(run_dir: Path, job_id: str) -> Optional[Path]:
    """submitit's stderr log of job ``job_id``, looked for in the ``.submitit`` folder of the run's sweep."""
    for folder in (run_dir, *run_dir.parents):
        log = folder / SUBMITIT_DIR / job_id / f"{job_id}_0_log.err"
        if log.is_file():
            return log
    return None


def job_failure(run_dir: Path, hydra_cfg: Any, has_metrics: bool) -> str:
    """Why this multirun job failed ("" when nothing says so; submitit's log is read only without metrics)."""
    report = run_dir / JOB_REPORT
    if report.is_file():
        try:
            rc = json.loads(report.read_text(encoding="utf-8")).get("returncode")
        except (OSError, ValueError):
            rc = None
        if rc != 0:
            return f"exit {rc}: {last_error_line(run_dir / 'eval.log')}"
    if has_metrics:
        return ""
    job_id = ((hydra_cfg or {}).get("hydra") or {}).get("job", {}).get("id")
    log = submitit_log(run_dir, str(job_id)) if job_id else None
    return f"submitit job {job_id}: {last_error_line(log)}" if log else ""


@dataclass
class BestTrial:
    """The best trial of one Optuna study."""

    study: str
    storage: str
    number: Optional[int]               # None when read from optimization_results.yaml
    value: float
    params: dict[str, Any]
    trials_complete: Optional[int] = None
    run: Optional[Path] = None          # the trial's run folder, when found under the results root
    sweep_dirs: list[Path] = field(default_factory=list)

    def describe(self, root: Path) -> str:
        run = self.run.relative_to(root).as_posix() if self.run else "(run folder not under this root)"
        trial = f"trial {self.number}" if self.number is not None else "best trial"
        done = f", {self.trials_complete} complete trials" if self.trials_complete is not None else ""
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"Optuna study {self.study}{done}: {trial} best, value {self.value:.6g}, run {run}; {params}"


def _study_best(storage: str, name: str) -> Optional[tuple[int, float, dict, int]]:
    from sam2_video.runs.optuna_resume import sqlite_file

    path = sqlite_file(storage)
    if path is not None and not path.is_file():
        return None
    import optuna

    try:
        study = optuna.load_study(study_name=name, storage=storage)
        complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
        if not complete:
            return None
        best = study.best_trial
    except (KeyError, ValueError, RuntimeError):
        return None
    return best.number, float(best.value), dict(best.params), len(complete)


def _matches(settings: dict[str, str], params: dict[str, Any]) -> bool:
    for key, want in params.items():
        got = settings.get(key)
        if got is None:
            return False
        if isinstance(want, (int, float)) and not isinstance(want, bool):
            try:
                if not math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=0.0):
                    return False
            except ValueError:
                return False
        elif str(got) != str(want):
            return False
    return True


def _optuna_sweeper(run_dir: Path) -> Optional[tuple[str, str]]:
    """(storage URL, resolved; study name) when ``run_dir`` is a trial of hydra-optuna-sweeper."""
    from omegaconf import OmegaConf

    hydra_cfg = _yaml(run_dir / ".hydra" / "hydra.yaml") or {}
    sweeper = (hydra_cfg.get("hydra") or {}).get("sweeper") or {}
    if "optuna" not in str(sweeper.get("_target_", "")):
        return None
    job_cfg = _yaml(run_dir / ".hydra" / "config.yaml") or {}
    tree = OmegaConf.create({**{k: v for k, v in job_cfg.items() if k == "paths"},
                             "hydra": {"sweeper": {k: sweeper.get(k) for k in ("storage", "study_name")}}})
    try:  # the storage URL is saved unresolved (sqlite:///${paths.output_root}/...)
        storage = OmegaConf.select(tree, "hydra.sweeper.storage", throw_on_resolution_failure=True)
    except Exception:  # noqa: BLE001 - an interpolation this tree cannot resolve: read the results file
        storage = None
    return str(storage or ""), str(sweeper.get("study_name") or "")


def optuna_studies(runs: Sequence[Any]) -> list[BestTrial]:
    """The best trial of every Optuna study among ``runs`` (results' ``Run``s), with its run folder."""
    studies: dict[tuple[str, str], list[Any]] = {}
    for run in runs:
        key = _optuna_sweeper(run.path)
        if key is not None:
            studies.setdefault(key, []).append(run)
    found = []
    for (storage, name), trials in studies.items():
        sweep_dirs = sorted({r.path.parent for r in trials})
        best = _study_best(storage, name) if storage and name else None
        if best is not None:
            trial = BestTrial(name, storage, best[0], best[1], best[2], best[3])
        else:
            saved = [y for d in sweep_dirs if "best_value" in (y := _yaml(d / "optimization_results.yaml") or {})]
            if not saved:
                continue
            trial = BestTrial(name, storage, None, float(saved[-1]["best_value"]), dict(saved[-1].get("best_params") or {}))
        trial.sweep_dirs = sweep_dirs
        trial.run = next((r.path for r in trials if _matches(r.settings, trial.params)), None)
        found.append(trial)
    return found
