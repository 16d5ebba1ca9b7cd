"""train.py +hparams_search=optuna on the synthetic data (one step per trial): the best trial, a resumed search."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from sam2_video.results import collect_runs
from sam2_video.runs.sweeps import optuna_studies

REPO = Path(__file__).resolve().parents[2]


def _search(train_overrides, tmp_path, sweep: str, n_trials: int = 3) -> list[str]:
    return [sys.executable, "train.py", "+hparams_search=optuna", *train_overrides, f"hydra.sweeper.n_trials={n_trials}",
            "hydra.sweeper.study_name=tiny", f"hydra.sweep.dir={tmp_path / 'search' / sweep}"]


def _complete(storage: str) -> list[optuna.trial.FrozenTrial]:
    try:
        study = optuna.load_study(study_name="tiny", storage=storage)
    except Exception:  # noqa: BLE001 - not created yet
        return []
    return [t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]


def _best_matches_its_run(tmp_path, n_complete: int) -> None:
    runs = collect_runs(tmp_path / "search")
    [study] = optuna_studies(runs)
    assert study.trials_complete == n_complete and study.run is not None
    metrics = json.loads((study.run / "metrics.json").read_text())
    assert study.value == metrics["best"]["val/jf"]  # the number train.py returned is the run's own J&F
    assert study.value == max(r.metrics["best/val/jf"] for r in runs if "best/val/jf" in r.metrics)


@pytest.mark.slow
def test_three_trial_search_best_trial_is_its_run(train_overrides, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(_search(train_overrides, tmp_path, "a"), cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert sorted(p.name for p in (tmp_path / "search" / "a").iterdir() if p.is_dir()) == ["0", "1", "2"]
    _best_matches_its_run(tmp_path, 3)
    assert (tmp_path / "outputs" / "hparams_search" / "tiny" / "study.db").is_file()


@pytest.mark.slow
def test_killed_search_resumes_from_sqlite(train_overrides, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    storage = f"sqlite:///{tmp_path / 'outputs' / 'hparams_search' / 'tiny' / 'study.db'}"
    proc = subprocess.Popen(_search(train_overrides, tmp_path, "first"), cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not _complete(storage) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # killed after its first trial
    proc.wait()
    done_before = len(_complete(storage))
    assert 1 <= done_before < 3
    out = subprocess.run(_search(train_overrides, tmp_path, "resumed"), cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert f"resumed from" in out.stderr and f"{done_before} trials ended, {3 - done_before} to go" in out.stderr
    trials = _complete(storage)
    assert len(trials) == 3 and len({t.number for t in trials}) == 3
    _best_matches_its_run(tmp_path, 3)
