"""baseline_eval.py's multirun on the Hydra launchers this project pins: joblib and submitit (real processes)."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from sam2_video.results import collect_runs


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_two_job_multirun_of_baseline_eval(launcher, eval_overrides, run_script, tmp_path):
    sweep = tmp_path / "sweep"
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else ["hydra.launcher.timeout_min=10"]
    out = run_script("baseline_eval.py", "-m", f"hydra/launcher={launcher}", *extra, "eval.threshold=0.3,0.7",
                     *eval_overrides, f"hydra.sweep.dir={sweep}")
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    summaries = [json.loads((sweep / job / "summary.json").read_text()) for job in ("0", "1")]
    assert sorted(s["settings"]["threshold"] for s in summaries) == [0.3, 0.7]  # each job got its own value
    assert all(0.0 <= s["overall"]["JF"] <= 1.0 for s in summaries)
    if launcher == "submitit_local":  # each job ran in its own submitit process, with its own log folder
        ids = {yaml.safe_load((sweep / job / ".hydra" / "hydra.yaml").read_text())["hydra"]["job"]["id"]
               for job in ("0", "1")}
        assert len(ids) == 2 and str(os.getpid()) not in ids
        assert all((sweep / ".submitit" / i / f"{i}_0_log.out").is_file() for i in ids)
    runs = collect_runs(sweep)  # python -m sam2_video.results reads the launcher's folder (.submitit is no run)
    assert sorted(r.path.name for r in runs) == ["0", "1"]
    assert all(r.status == "ok" and "eval/JF" in r.metrics for r in runs)


def test_a_refused_job_fails_alone_in_a_basic_launcher_sweep(eval_overrides, run_cli, tmp_path):
    """One job's bad value (refused when the job validates its config) is that job's failure: the other
    job of the sweep still runs and writes its summary; the sweep exits non-zero naming the key."""
    sweep = tmp_path / "sweep"
    out = run_cli("baseline_eval.py", "-m", "eval.threshold=abc,0.5", *eval_overrides, f"hydra.sweep.dir={sweep}")
    assert out.returncode != 0
    assert "eval.threshold" in out.stderr, out.stderr[-2000:]
    assert not (sweep / "0" / "summary.json").exists()  # the refused job, first in the sweep ...
    assert json.loads((sweep / "1" / "summary.json").read_text())["settings"]["threshold"] == 0.5  # ... the next ran
