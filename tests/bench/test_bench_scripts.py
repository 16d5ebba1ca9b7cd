"""Every bench/bench_*.py runs in its quick form (as `bench/run_all.py --quick` runs it) and prints a ratio.

The fast scripts run one after the other in this process (``runpy``, the argv ``run_all`` gives them: no
~5-9 s interpreter + Lightning start-up each); the heavy ones (``slow``) in subprocesses. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_here

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
# Quick runs light enough for the fast suite (seconds each on the debug model); the others' quick runs
# (memory, refiner, streaming, prompt-free benchmarks: several model builds and trainings each) are `slow`.
FAST = {"bench_train.py", "bench_eval.py", "bench_loader.py", "bench_threshold.py", "bench_encode_thread.py"}


# Extra arguments of the fast quick runs: their JSON results (and the 1-object profile) are checked too.
JSON_OUT = {"bench_eval.py": ["--profile"], "bench_threshold.py": []}


def _quick_run(script: Path, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(run_all.command(script, quick=True) + list(extra), cwd=BENCH_DIR.parent, env=env,
                          text=True, capture_output=True, timeout=900)


def _quick_run_here(script: Path, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``_quick_run`` in this process (``run_here``) with 1 torch thread; stdout / stderr captured, an
    exception reported as exit status 1 with its traceback."""
    import contextlib
    import io
    import traceback

    import torch

    argv = run_all.command(script, quick=True)[1:] + list(extra)
    out, err, threads = io.StringIO(), io.StringIO(), torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_here(script, argv)
    except Exception:  # noqa: BLE001 - reported as a failed run, with its traceback
        code, _ = 1, err.write(traceback.format_exc())
    finally:
        torch.set_num_threads(threads)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Quick runs of the fast scripts; those in ``JSON_OUT`` also write ``<tmp>/<script>.json``, whose path
    is kept as ``result.json_path``."""
    tmp = tmp_path_factory.mktemp("bench_json")
    results = {}
    for script in (s for s in SCRIPTS if s.name in FAST):
        extra = ("--json", str(tmp / f"{script.name}.json"), *JSON_OUT[script.name]) if script.name in JSON_OUT else ()
        results[script.name] = res = _quick_run_here(script, extra)
        res.json_path = tmp / f"{script.name}.json"
    return results


def _check(res: subprocess.CompletedProcess, script: str) -> None:
    assert res.returncode == 0, f"{' '.join(res.args)} failed:\n{res.stderr[-3000:]}"
    if script not in NO_RATIO:
        assert RATIO.search(res.stdout), f"{script} printed no ratio:\n{res.stdout[-2000:]}"
    else:
        assert res.stdout.strip(), f"{script} printed nothing"


def test_run_all_finds_the_scripts():
    names = {s.name for s in SCRIPTS}
    assert {"bench_train.py", "bench_loader.py"} <= names
    assert all(n.startswith("bench_") and n.endswith(".py") for n in names)


@pytest.mark.parametrize("script", sorted(FAST))
def test_quick_run_succeeds_and_reports_a_ratio(outputs, script):
    _check(outputs[script], script)


@pytest.mark.slow
@pytest.mark.parametrize("script", [s.name for s in SCRIPTS if s.name not in FAST])
def test_heavy_quick_run_succeeds_and_reports_a_ratio(script):
    _check(_quick_run(BENCH_DIR / script), script)


def test_bench_train_quick_reports_ours_over_meta(outputs):
    out = outputs["bench_train.py"].stdout
    assert re.search(r"ratio ours/Meta .*debug \d+\.\d+x", out), out


def test_bench_eval_quick_json_has_both_object_counts_memory_and_profile(outputs):
    _check(outputs["bench_eval.py"], "bench_eval.py")
    res = json.loads(outputs["bench_eval.py"].json_path.read_text())
    assert [s["objects"] for s in res["speed"]] == [1, 3] and res["memory_ratio_rss"] > 0
    assert all(s["speedup"] > 0 and s["cpu_speedup"] > 0 for s in res["speed"])  # wall and CPU-time ratios
    prof = res["profile_1_object_ms_per_frame"]
    assert prof["image_encoder"] > 0 and prof["memory_encoder"] > 0 and prof["total"] >= prof["decode"] > 0


def test_bench_threshold_quick_json_has_the_ratio(outputs):
    _check(outputs["bench_threshold.py"], "bench_threshold.py")
    assert json.loads(outputs["bench_threshold.py"].json_path.read_text())["ratio_11_vs_eval_lean"] > 0
