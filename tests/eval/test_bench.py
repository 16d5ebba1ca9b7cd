"""The benchmark scripts run end to end on the debug model with tiny sizes (not timed here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("script", ["bench_eval.py", "bench_threshold.py"])
def test_bench_quick(script, repo, tmp_path):
    out = tmp_path / "result.json"
    extra = ["--profile"] if script == "bench_eval.py" else []
    r = subprocess.run([sys.executable, str(repo / "bench" / script), "--quick", "--json", str(out), *extra], cwd=repo,
                       env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    if script == "bench_eval.py":
        assert [s["objects"] for s in res["speed"]] == [1, 3] and res["memory_ratio_rss"] > 0
        prof = res["profile_1_object_ms_per_frame"]
        assert prof["image_encoder"] > 0 and prof["memory_encoder"] > 0 and prof["total"] >= prof["decode"] > 0
    else:
        assert res["ratio_11_vs_eval_lean"] > 0
