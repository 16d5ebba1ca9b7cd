"""bench/gpu_suite.py in its CPU quick form: every part measures ours (and Meta's where compared),
the JSON and the markdown table hold them; a failing part is recorded while the others still run; a
part over its budget is stopped; ``--device cuda`` without CUDA is refused before anything is written.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
BAD = "no_such_variant"


def _suite():
    sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location("gpu_suite", BENCH_DIR / "gpu_suite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick CPU run with an extra train config that cannot be built (the failure case)."""
    out = tmp_path_factory.mktemp("gpu_suite")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, str(BENCH_DIR / "gpu_suite.py"), "--quick", "--device", "cpu",
                          "--out", str(out), "--train-configs", "debug", BAD],
                         cwd=BENCH_DIR.parent, env=env, text=True, capture_output=True, timeout=600)
    doc = json.loads((out / "gpu_suite.json").read_text())
    return res, doc, (out / "gpu_suite.md").read_text()


def _positive(*xs) -> bool:
    return all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in xs)


def test_every_part_measures(quick):
    res, doc, _ = quick
    parts = doc["parts"]
    assert doc["planned"] == ["train@debug", f"train@{BAD}", "eval", "stream", "refiner"] and doc["complete"]
    for name in ("train@debug", "eval", "stream", "refiner"):
        assert parts[name]["status"] == "ok", f"{name}: {parts[name].get('traceback', parts[name])}\n{res.stderr[-3000:]}"
    train = parts["train@debug"]
    assert _positive(train["ours_steps_per_s"], train["meta_steps_per_s"], train["speed_ours_over_meta"])
    assert (train["frames"], train["objects"], train["steps"]) == (4, 3, 2)
    ev = parts["eval"]
    assert [r["objects"] for r in ev["rows"]] == [1, 3]
    assert all(_positive(r["ours_fps"], r["meta_fps"], r["speedup"]) for r in ev["rows"])
    st = parts["stream"]
    assert _positive(st["ms_K1"], st["ms_K5"], st["frames"])
    ref = parts["refiner"]
    assert _positive(ref["torch_ms"], ref["onnxruntime_ms"], ref["sam2_frame_ms"])
    assert ref["onnxruntime_provider"] == "CPUExecutionProvider"
    # CPU: no GPU memory figures, and the environment says which torch measured
    assert train["ours_peak_gpu_mib"] is None and ev["rows"][0]["ours_peak_mib"] is None
    assert st["peak_gpu_mib_K1"] is None and ref["torch_peak_gpu_mib"] is None
    assert doc["env"]["torch"] == torch.__version__ and doc["env"]["device"] == "cpu"


def test_a_failing_part_is_recorded_and_the_others_run(quick):
    res, doc, md = quick
    bad = doc["parts"][f"train@{BAD}"]
    assert res.returncode == 1, res.stderr[-2000:]
    assert bad["status"] == "failed" and BAD in bad["error"]
    assert f"| train | train@{BAD} |" in md and "failed" in md


def test_table_rows_hold_the_measured_figures(quick):
    _, doc, md = quick
    parts = doc["parts"]
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| measure")]
    by = lambda key: [r for r in rows if r.startswith(f"| {key}")]  # noqa: E731
    assert len(by("train steps/s")) == 1 and f"{parts['train@debug']['ours_steps_per_s']:.2f}" in by("train steps/s")[0]
    evals = by("eval frames/s |")
    assert len(evals) == 2 and all(f"{r['ours_fps']:.1f}" in line for r, line in zip(parts["eval"]["rows"], evals))
    assert "91.2" in by("eval frames/s (reference)")[0]
    stream = by("stream ms/frame")
    assert ["K=1" in stream[0], "K=5" in stream[1]] == [True, True]
    assert f"{parts['stream']['ms_K5']:.1f}" in stream[1]
    assert len(by("refiner ms")) == 2 and "CPUExecutionProvider" in by("refiner ms")[1]


def test_a_part_over_its_budget_is_stopped():
    suite = _suite()
    t0 = time.perf_counter()
    res = suite.run_part("slow", 0.3, lambda: time.sleep(5) or {})
    assert res["status"] == "timed out" and time.perf_counter() - t0 < 3
    assert suite.run_part("ok", 5, lambda: {"x": 1}) | {"seconds": 0} == {"status": "ok", "x": 1, "budget_s": 5,
                                                                         "seconds": 0}


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_a_gpu_is_refused(tmp_path, capsys):
    assert _suite().main(["--device", "cuda", "--out", str(tmp_path / "out")]) == 2
    assert "--device cpu" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
