"""Prompt-free (`auto`) combo rows run through multi_baseline_eval.py next to a prompted row, on a
converted EndoVis 2017 tree (as a user runs the seed workflow)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_multi_baseline_eval_runs_auto_and_prompted_combos(raw, script, tmp_path):
    root = raw.endovis17(tmp_path / "raw", frames=3)
    out = tmp_path / "coco"
    assert script("convert_endovis_to_coco")(
        ["--input-dir", str(root), "--output-file", str(out / "endovis17.json"), "--split", "fold0"]) == 0
    results = tmp_path / "baselines"
    args = ["--filter", "endovis17/13", "--filter", "endovis17/2", "--jobs", "1", "--output-root", str(results),
            "--", f"data.root={out}", "sam2=debug", "model.image_size=128", "eval.max_videos=1",
            "data.num_workers=0", f"paths.root_dir={tmp_path}"]
    proc = subprocess.run([sys.executable, "multi_baseline_eval.py", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=900, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    rows = list(csv.DictReader((results / "baselines.csv").open()))
    assert sorted(r["config"] for r in rows) == ["combo/endovis17/13", "combo/endovis17/2"], rows
    for r in rows:
        assert r["status"] == "ok" and 0.0 <= float(r["JF"]) <= 1.0, r
    assert {r["config"]: r["prompt"] for r in rows} == {"combo/endovis17/13": "auto", "combo/endovis17/2": "point"}
    assert (results / "combo" / "endovis17" / "13" / "summary.json").is_file() or any(results.rglob("summary.json"))
