"""The demo end to end: wall time, training vs validation time, and full-video J&F, per thread count and seed.

    python bench/bench_demo.py                                  # `train.py experiment=demo`, 2 threads, seed 42
    python bench/bench_demo.py --threads 1 2 --seeds 42 0 1     # the grid of the demo's robustness target
    python bench/bench_demo.py --override callbacks.val_vis.count=4 callbacks.val_vis.tile=160 data.val_clip_stride=null
    python bench/bench_demo.py --quick                          # a few steps (what the slow bench test runs)

Each run is one subprocess (``OMP_NUM_THREADS`` = the thread count), one at a time. Per run: wall time
of the whole command, its CPU time, the load average before / after (the machine may be shared), the
steps done, the training and validation seconds of every epoch (``phase_times.json``, written by the
``callbacks.phase_times`` callback: validation includes its loader, metrics and pictures), the
validation overhead = validation / training time of the worst epoch, and the full-video J&F of the
evaluation after training (``metrics.json``). Target (issue 24): overhead <= 0.10x, the whole demo
<= 5 min on an idle 2-core machine, J&F >= 0.40 for every seed and thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["trainer.max_epochs=2", "trainer.limit_train_batches=3", "data.synthetic.num_videos=8"]  # + own data root


def full_video_jf(metrics: dict) -> float | None:
    """J&F of the evaluation after training (``metrics.json``'s ``eval``), None when it did not run."""
    ev = metrics.get("eval") or {}
    for key in ("JF", "jf", "J&F"):
        if key in ev:
            return float(ev[key])
    overall = ev.get("overall") or ev.get("summary") or {}
    for key in ("JF", "jf", "J&F"):
        if key in overall:
            return float(overall[key])
    return None


def run_once(threads: int, seed: int, out: Path, overrides: list[str]) -> dict:
    """One demo run in a subprocess; its timings, load and result."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "train.py", "experiment=demo", f"seed={seed}", f"hydra.run.dir={out}", *overrides]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    phases = json.loads((out / "phase_times.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    epochs = phases["epochs"]
    return {
        "threads": threads, "seed": seed, "wall_s": round(wall, 1),
        "cpu_s": round(cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 1),
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        "steps": int(metrics.get("global_step", 0)), "train_s": round(sum(e["train_s"] for e in epochs), 1),
        "val_s": round(sum(e["val_s"] for e in epochs), 1), "val_share_max": max((e["val_share"] for e in epochs), default=0.0),
        "val_before_training_s": sum(phases.get("validation_outside_training_s", [])),
        "val_jf": metrics.get("final", {}).get("val/jf"), "full_video_jf": full_video_jf(metrics), "command": " ".join(cmd),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=None, help="default: 2 (--quick: 1)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--override", nargs="*", default=[], help="extra Hydra overrides for every run")
    ap.add_argument("--quick", action="store_true", help="a few steps on 8 videos, no timing meaning")
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = ap.parse_args()
    args.threads = args.threads or ([1] if args.quick else [2])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as tmp:
        overrides = (QUICK + [f"paths.data_dir={tmp}/data"] if args.quick else []) + list(args.override)
        for threads in args.threads:
            for seed in args.seeds:
                row = run_once(threads, seed, Path(tmp) / f"t{threads}_s{seed}", overrides)
                rows.append(row)
                print(f"threads {threads} seed {seed}: {row['wall_s']:.0f} s wall ({row['cpu_s']:.0f} s CPU, load "
                      f"{row['load_before']} -> {row['load_after']}), {row['steps']} steps, training {row['train_s']} s, "
                      f"validation {row['val_s']} s (worst epoch {100 * row['val_share_max']:.1f} %), "
                      f"val J&F {row['val_jf']}, full-video J&F {row['full_video_jf']}", flush=True)
    jfs = [r["full_video_jf"] for r in rows if r["full_video_jf"] is not None]
    print(f"validation overhead (worst epoch, validation / training time): {max(r['val_share_max'] for r in rows):.3f}x")
    if jfs:
        print(f"full-video J&F over {len(jfs)} runs: min {min(jfs):.4f}, max {max(jfs):.4f}, median {statistics.median(jfs):.4f}")
    print(f"wall time: max {max(r['wall_s'] for r in rows):.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
