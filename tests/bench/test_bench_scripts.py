"""Every bench/bench_*.py runs in its quick form (as `bench/run_all.py --quick` runs it) and prints a ratio.

The scripts run concurrently in subprocesses (1 torch thread each); no timing is asserted.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
RATIO = re.compile(r"\d+\.\d+x\b")
# Scripts whose output has no ratio, and where that ratio is reported instead.
NO_RATIO = {"bench_loader.py": "prints clips/s; loader / step rate is reported by bench_train.py"}


def _run_all():
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH_DIR / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_all = _run_all()
SCRIPTS = run_all.discover()


@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    procs = {s.name: subprocess.Popen(run_all.command(s, quick=True), cwd=BENCH_DIR.parent, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in SCRIPTS}
    done = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def test_run_all_finds_the_scripts():
    names = {s.name for s in SCRIPTS}
    assert {"bench_train.py", "bench_loader.py"} <= names
    assert all(n.startswith("bench_") and n.endswith(".py") for n in names)


@pytest.mark.parametrize("script", [s.name for s in SCRIPTS])
def test_quick_run_succeeds_and_reports_a_ratio(outputs, script):
    res = outputs[script]
    assert res.returncode == 0, f"{' '.join(res.args)} failed:\n{res.stderr[-3000:]}"
    if script not in NO_RATIO:
        assert RATIO.search(res.stdout), f"{script} printed no ratio:\n{res.stdout[-2000:]}"
    else:
        assert res.stdout.strip(), f"{script} printed nothing"


def test_bench_train_quick_reports_ours_over_meta(outputs):
    out = outputs["bench_train.py"].stdout
    assert re.search(r"ratio ours/Meta .*debug \d+\.\d+x", out), out
