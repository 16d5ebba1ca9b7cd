"""GPU figures in one command: ours vs Meta's code side by side in the same process (issue 27).

    python bench/gpu_suite.py --out outputs/gpu_suite                 # CUDA, sam2.1_tiny (< 8 min on one H100)
    python bench/gpu_suite.py --quick --device cpu --out /tmp/suite   # debug SAM2, tiny sizes (the test's run)
    python bench/gpu_suite.py --parts eval stream --out outputs/gpu_suite_rerun   # some parts only

Parts (each with its own time budget, run in this order; random weights throughout):

* ``train@<VARIANT@SIZE>``: train steps/s of ours vs Meta's ``SAM2Train`` + its loss on the same
  batches (``bench_train.py``; sam2.1_tiny at 512 and 1024 px, bf16-mixed, 8-frame clips, 3 objects);
* ``eval``: evaluation frames/s of ours vs Meta's ``SAM2VideoPredictor`` (``bench_eval.py``;
  sam2.1_tiny at 1024 px, a 480x854 JPEG video, 1 and 3 objects); Meta's published 91.2 FPS
  (sam2.1_tiny, A100, ``torch.compile``) is printed as a reference line;
* ``stream``: ``python -m sam2_video.stream``'s ms/frame at memory cadence K = 1 and K = 5
  (``bench_stream.py``; sam2.1_tiny at 1024 px);
* ``refiner``: refiner latency in PyTorch and onnxruntime (CUDA provider where installed, else the
  CPU provider, said so) and its share of one SAM2 frame (``bench_refiner.py``; 1024 x 1024, C = 3).

Each part records the peak GPU memory of each measured path (torch's allocator), runs in try/except
under a SIGALRM budget (a failed or overrunning part is recorded as such and the next one runs), and
after each part ``<out>/gpu_suite.json`` and ``<out>/gpu_suite.md`` (the table) are rewritten
atomically, so a stopped suite leaves what it had. Exit 0 if every part passed, 1 if not, 2 on bad
arguments (e.g. ``--device cuda`` without CUDA; nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Callable

import torch
from loguru import logger

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from gpu_suite_report import markdown  # noqa: E402

from sam2_video.atomic import write_json, write_text  # noqa: E402
from sam2_video.errors import ConfigError, UserError  # noqa: E402

# Sizes of the full (GPU) and --quick (CPU test) runs; budgets in seconds, summing to < 7 min.
FULL = {"train": ["sam2.1_tiny@512", "sam2.1_tiny@1024"], "precision": "bf16", "variant": "sam2.1_tiny", "size": 1024,
        "train_frames": 8, "objects": 3, "train_steps": 10, "train_warmup": 3, "train_videos": 2,
        "src_hw": [480, 854], "eval_frames": 60, "eval_repeats": 3, "stream_videos": 4, "stream_frames": 40,
        "stream_repeats": 2, "refiner_hw": [1024, 1024], "refiner_runs": 50, "sam2_runs": 10,
        "budgets": {"train@sam2.1_tiny@512": 75, "train@sam2.1_tiny@1024": 105, "eval": 90, "stream": 75,
                    "refiner": 45}, "total_budget": 450}
QUICK = {"train": ["debug"], "precision": "32", "variant": "debug", "size": 128, "train_frames": 4, "objects": 3,
         "train_steps": 2, "train_warmup": 1, "train_videos": 2, "src_hw": [64, 80], "eval_frames": 6, "eval_repeats": 1,
         "stream_videos": 4, "stream_frames": 6, "stream_repeats": 1, "refiner_hw": [128, 128], "refiner_runs": 3,
         "sam2_runs": 1, "budgets": {}, "total_budget": 600}
DEFAULT_BUDGET = 120
META_PUBLISHED_FPS = 91.2  # Meta's SAM 2.1 README: sam2.1_hiera_tiny, A100, compiled (a reference line, not measured)


class PartTimeout(Exception):
    """Raised in the main thread when a part overruns its budget (SIGALRM)."""


def run_part(name: str, budget_s: float, fn: Callable[[], dict]) -> dict:
    """``fn()`` under a ``budget_s`` wall-clock alarm; the result dict with status / error / seconds."""
    def on_alarm(signum, frame):
        raise PartTimeout(f"stopped after its {budget_s:.0f} s budget")

    t0 = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(budget_s, 0.001))
    try:
        result = {"status": "ok", **fn()}
    except PartTimeout as exc:
        result = {"status": "timed out", "error": str(exc)}
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (a failed part must not stop the suite)
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                  "traceback": traceback.format_exc()[-4000:]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    result.update(budget_s=budget_s, seconds=round(time.perf_counter() - t0, 2))
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return result


@contextlib.contextmanager
def step_peaks(module, peaks: dict):
    """Wrap ``module.build_ours`` / ``build_meta`` (bench_train) so that each path's step records the
    peak GPU memory (MiB) allocated during it, max over steps, in ``peaks["ours"|"meta"]``."""
    names = ("build_ours", "build_meta")
    originals = {n: getattr(module, n) for n in names}

    def wrap(key, build):
        def wrapped(*a, **kw):
            obj, step = build(*a, **kw)

            def measured_step(*sa, **skw):
                if not torch.cuda.is_available() or not torch.cuda.is_initialized():
                    return step(*sa, **skw)
                torch.cuda.reset_peak_memory_stats()
                try:
                    return step(*sa, **skw)
                finally:
                    peaks[key] = max(peaks.get(key, 0.0), torch.cuda.max_memory_allocated() / 2**20)
            return obj, measured_step
        return wrapped

    for n in names:
        setattr(module, n, wrap(n.removeprefix("build_"), originals[n]))
    try:
        yield peaks
    finally:
        for n, fn in originals.items():
            setattr(module, n, fn)


def train_part(spec: str, p: dict, device: str, tmp: Path) -> dict:
    import bench_train

    out = tmp / f"train_{spec.replace('@', '_')}.json"
    argv = ["bench_train.py", "--configs", spec, "--device", device, "--precision", p["precision"],
            "--frames", str(p["train_frames"]), "--objects", str(p["objects"]), "--steps", str(p["train_steps"]),
            "--warmup", str(p["train_warmup"]), "--videos", str(p["train_videos"]), "--src-size",
            *map(str, p["src_hw"]), "--prefetch", "4", "--loader-clips", "0", "--threads",
            str(torch.get_num_threads()), "--log-level", "WARNING", "--json", str(out)]
    peaks: dict = {}
    saved = sys.argv
    sys.argv = argv
    try:
        with step_peaks(bench_train, peaks):
            bench_train.main()
    finally:
        sys.argv = saved
    row = json.loads(out.read_text())["results"][0]
    for k in ("wall", "cpu", "losses"):
        row.pop(k, None)
    return {**row, "precision": {"bf16": "bf16-mixed", "32": "fp32"}[p["precision"]],
            "ours_steps_per_s": 1 / row["ours_s"], "meta_steps_per_s": 1 / row["meta_s"],
            "speed_ours_over_meta": 1 / row["ratio"],
            "ours_peak_gpu_mib": peaks.get("ours"), "meta_peak_gpu_mib": peaks.get("meta")}


def eval_part(p: dict, device: str) -> dict:
    import bench_eval

    cfg, model = bench_eval.build_model(p["variant"], p["size"], device)
    rows = bench_eval.speed_rows(cfg, model, p["eval_frames"], tuple(p["src_hw"]), p["eval_repeats"])
    return {"variant": p["variant"], "image_size": int(model.image_size), "rows": rows,
            "meta_published_fps": META_PUBLISHED_FPS}


def stream_part(p: dict, device: str, tmp: Path) -> dict:
    import bench_stream

    data = bench_stream.data_overrides(tmp / "stream_data", p["stream_videos"], p["stream_frames"],
                                       tuple(p["src_hw"]))
    return bench_stream.cadence_row(p["variant"], p["size"], tmp, p["stream_repeats"], device, None, data)


def refiner_part(p: dict, device: str) -> dict:
    import bench_refiner

    return bench_refiner.measure(p["variant"], tuple(p["refiner_hw"]), p["objects"], p["refiner_runs"],
                                 p["sam2_runs"], device)


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def _command(cmd: list[str]) -> str | None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=BENCH_DIR)
        return res.stdout.strip() or None if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(device: torch.device) -> dict:
    """GPU name / driver / memory, torch / CUDA / cuDNN and package versions, the CPU, the commit."""
    env = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "device": str(device), "python": platform.python_version(),
           "platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
           "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
           "packages": {k: _version(k) for k in ("sam2", "onnxruntime", "onnxruntime-gpu", "lightning", "numpy")},
           "git_commit": _command(["git", "rev-parse", "--short", "HEAD"])}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        driver = _command(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
        env.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   compute_capability=f"{props.major}.{props.minor}",
                   driver=driver.splitlines()[0] if driver else None)
    return env


def plan(p: dict, device: str, tmp: Path) -> list[tuple[str, Callable[[], dict]]]:
    parts = [(f"train@{spec}", lambda spec=spec: train_part(spec, p, device, tmp)) for spec in p["train"]]
    return parts + [("eval", lambda: eval_part(p, device)), ("stream", lambda: stream_part(p, device, tmp)),
                    ("refiner", lambda: refiner_part(p, device))]


def write(out: Path, doc: dict) -> None:
    write_json(out / "gpu_suite.json", doc)
    write_text(out / "gpu_suite.md", markdown(doc))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda | cuda:N | cpu")
    ap.add_argument("--quick", action="store_true", help="debug SAM2, tiny sizes, a few frames / steps (CPU test)")
    ap.add_argument("--out", type=Path, default=Path("outputs/gpu_suite"), help="folder of gpu_suite.json / .md")
    ap.add_argument("--parts", nargs="+", default=None, help="run these parts only: train eval stream refiner")
    ap.add_argument("--train-configs", nargs="+", default=None, help="VARIANT[@SIZE] of the train parts")
    ap.add_argument("--budget", nargs="*", default=[], metavar="PART=SECONDS", help="override a part's budget")
    args = ap.parse_args(argv)
    try:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"--device {args.device}: CUDA is not available here; use --device cpu (with --quick)")
        p = dict(QUICK if args.quick else FULL, budgets=dict((QUICK if args.quick else FULL)["budgets"]))
        if args.train_configs:
            p["train"] = list(args.train_configs)
        for item in args.budget:
            name, _, sec = item.partition("=")
            try:
                p["budgets"][name] = float(sec)
            except ValueError:
                raise ConfigError(f"--budget {item!r}: expected PART=SECONDS, e.g. eval=60") from None
    except (UserError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    given = argv if argv is not None else sys.argv[1:]
    command = "python bench/gpu_suite.py " + " ".join(shlex.quote(a) for a in given)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        parts = plan(p, str(device), Path(d))
        if args.parts:
            parts = [(n, fn) for n, fn in parts if n.split("@")[0] in args.parts or n in args.parts]
        doc = {"suite": "gpu_suite", "command": command, "quick": args.quick, "settings": p,
               "env": environment(device), "planned": [n for n, _ in parts], "parts": {}, "complete": False}
        write(args.out, doc)
        for name, fn in parts:
            spent = time.perf_counter() - t_start
            budget = min(float(p["budgets"].get(name, DEFAULT_BUDGET)), p["total_budget"] - spent)
            if budget < 5:
                doc["parts"][name] = {"status": "skipped", "error": f"suite budget {p['total_budget']} s spent"}
            else:
                print(f"[gpu_suite] {name} (budget {budget:.0f} s) ...", flush=True)
                doc["parts"][name] = res = run_part(name, budget, fn)
                print(f"[gpu_suite] {name}: {res['status']} in {res['seconds']:.1f} s"
                      + (f" ({res['error']})" if res.get("error") else ""), flush=True)
            doc["total_seconds"] = round(time.perf_counter() - t_start, 1)
            write(args.out, doc)
    doc["complete"], doc["total_seconds"] = True, round(time.perf_counter() - t_start, 1)
    write(args.out, doc)
    print(markdown(doc))
    print(f"[gpu_suite] wrote {args.out / 'gpu_suite.json'} and {args.out / 'gpu_suite.md'} "
          f"in {doc['total_seconds']:.0f} s")
    return 0 if all(r["status"] == "ok" for r in doc["parts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
