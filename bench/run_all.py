"""Run every ``bench/bench_*.py`` (defaults, or ``--quick``) and print their outputs (``make bench``).

    python bench/run_all.py                     # full runs (minutes; see docs/benchmarks.md)
    python bench/run_all.py --quick             # smoke runs on the debug model
    python bench/run_all.py --only train eval   # bench_train.py and bench_eval.py only

Each script runs in its own subprocess with ``OMP_NUM_THREADS=--threads`` (default 1: on a shared
2-core machine 2 OpenMP threads made bench_eval ~100x slower). ``--quick`` is passed to scripts
that define it; scripts without it get small arguments from ``QUICK_ARGS``. Exit 1 if any failed.

``bench/gpu_suite.py`` (the CUDA figures, ours vs Meta side by side; docs/benchmarks.md, "GPU suite")
is not a ``bench_*`` script and is not run here: it has its own command and CPU ``--quick`` test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from loguru import logger

BENCH_DIR = Path(__file__).resolve().parent
# Small arguments for scripts that have no --quick flag (none at present: all define --quick).
QUICK_ARGS: dict[str, list[str]] = {}


def discover(only: list[str] | None = None) -> list[Path]:
    """``bench/bench_*.py`` sorted by name; ``only`` filters by name (``train`` or ``bench_train.py``)."""
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if only:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in only}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    return scripts


def command(script: Path, quick: bool) -> list[str]:
    """The command line that runs ``script`` (with its quick arguments when ``quick``)."""
    cmd = [sys.executable, str(script)]
    if quick:
        cmd += ["--quick"] if '"--quick"' in script.read_text() else QUICK_ARGS.get(script.name, [])
    return cmd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke runs (what tests/bench runs)")
    ap.add_argument("--only", nargs="+", default=None, help="script names, e.g. train eval")
    ap.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS / MKL_NUM_THREADS of each script")
    args = ap.parse_args()
    scripts = discover(args.only)
    if not scripts:
        sys.exit(f"no bench scripts matched in {BENCH_DIR}")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    rows = []
    for script in scripts:
        cmd = command(script, args.quick)
        logger.info(f"running OMP_NUM_THREADS={args.threads} {' '.join([Path(cmd[0]).name, *cmd[1:]])}")
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        rows.append((script.name, res.returncode, time.perf_counter() - t0))
        print(f"\n===== {script.name} (exit {res.returncode}, {rows[-1][2]:.0f} s) =====")
        print(res.stdout.rstrip())
        if res.returncode != 0:
            print(res.stderr.rstrip()[-4000:])
    print(f"\n{'script':<24}{'exit':>6}{'seconds':>10}")
    for name, rc, secs in rows:
        print(f"{name:<24}{rc:>6}{secs:>10.1f}")
    sys.exit(1 if any(rc for _, rc, _ in rows) else 0)


if __name__ == "__main__":
    main()
