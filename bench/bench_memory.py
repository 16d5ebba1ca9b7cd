"""Peak memory and step time of one training step: image encoder fully trained vs LoRA vs LoRA +
activation checkpointing (the memory savers of ``model.lora`` / ``model.activation_checkpointing``).

    python bench/bench_memory.py                          # sam2.1_tiny@512, 4 frames, CPU (~20 min, 8.3 GB peak)
    python bench/bench_memory.py --device cuda --precision bf16 --configs sam2.1_tiny@1024
    python bench/bench_memory.py --quick                  # debug model, 4 frames (what the test runs)

Modes (on top of the config's ``model.trainable_modules``, memory attention + memory encoder):

* ``full``: ``image_encoder`` trained too (every encoder weight gets a gradient and AdamW state);
* ``lora``: the encoder frozen, LoRA (r=8) on every Hiera block's ``attn.qkv`` and ``attn.proj``;
* ``lora_ckpt``: ``lora`` + ``model.activation_checkpointing=true`` (Hiera blocks and memory-attention
  layers recompute their activations in backward).

Each mode runs in its own subprocess (peak RSS is per process) on the same synthetic clips and
weights: build the module and optimiser (bench_train.build_ours), load the batches, reset the peak
(``/proc/self/clear_refs``), then warm-up + timed steps (forward, loss, backward, AdamW). Reported:
peak RSS during the steps (whole process, model included), its increase over the RSS before the
first step (activations, gradients, optimiser state), CUDA ``max_memory_allocated`` on a GPU, and
the median step time; ratios are over ``full``. Target: ``lora_ckpt`` peak <= 0.6x ``full``.
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
from types import SimpleNamespace

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

LORA = ["model.lora.enabled=true", "model.lora.r=8",
        "model.lora.target_modules=[image_encoder.trunk.blocks.*.attn.qkv,image_encoder.trunk.blocks.*.attn.proj]"]
MODES = {
    "full": ["model.trainable_modules=[image_encoder,memory_attention,memory_encoder]"],
    "lora": LORA,
    "lora_ckpt": LORA + ["model.activation_checkpointing=true"],
}


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process (VmHWM); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mib() -> float:
    return (_status_kib("VmRSS") or 0) / 1024


def peak_rss_mib() -> float:
    hwm = _status_kib("VmHWM")
    return (hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def child(args) -> dict:
    """One mode in this process: build, load, reset the peak, run the steps; returns the row."""
    import contextlib

    import torch
    from loguru import logger

    from bench_train import build_ours, compose, sync
    from sam2_video.config import build

    logger.remove()
    logger.add(sys.stderr, level=args.log_level)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    ns = SimpleNamespace(frames=args.frames, objects=args.objects, batch_size=1, seed=0, prompts="mask",
                         override=MODES[args.child])
    cfg = compose(args.config, Path(args.data), Path(args.out), ns)
    dm = build(cfg.data)
    dm.prepare_data()
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader())).to(device)
    module, step = build_ours(cfg, device)
    trainable = sum(p.numel() for p in module.model.parameters() if p.requires_grad)
    if args.precision == "bf16":
        autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16)  # noqa: E731
    else:
        autocast = contextlib.nullcontext
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    before = rss_mib()
    exact = reset_peak()
    times = []
    for i in range(args.warmup + args.steps):
        torch.manual_seed(i)
        sync(device)
        t0 = time.perf_counter()
        step(batch, i, autocast)
        sync(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
        logger.info(f"{args.child} step {i}: {time.perf_counter() - t0:.2f} s")
    peak = peak_rss_mib()
    return {"mode": args.child, "config": args.config, "image_size": int(cfg.model.image_size),
            "frames": args.frames, "objects": int(batch.num_objects), "trainable_params": trainable,
            "rss_before_mib": before, "peak_rss_mib": peak, "step_rss_mib": peak - before, "peak_reset": exact,
            "cuda_max_allocated_mib": (torch.cuda.max_memory_allocated(device) / 2**20) if device.type == "cuda" else None,
            "step_s": statistics.median(times), "steps": len(times)}


def run_mode(mode: str, config: str, data: Path, out: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--config", config, "--data", str(data), "--out", str(out),
           "--frames", str(args.frames), "--objects", str(args.objects), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--device", args.device, "--precision", args.precision,
           "--threads", str(args.threads), "--log-level", args.log_level]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if res.returncode != 0:
        raise SystemExit(f"{mode} on {config} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", nargs="+", default=["sam2.1_tiny@512"], help="VARIANT[@IMAGE_SIZE] ...")
    ap.add_argument("--quick", action="store_true", help="debug model, 4 frames, 1 + 1 steps (tests)")
    ap.add_argument("--frames", type=int, default=4, help="frames per clip (8: full FT needs > 15 GB)")
    ap.add_argument("--objects", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1, help="timed steps per mode")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first (AdamW state is created there)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", choices=("32", "bf16"), default="32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--child", choices=tuple(MODES), help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    if args.quick:
        args.configs, args.frames, args.steps, args.warmup = ["debug"], 4, 1, 1

    from sam2_video.data.synthetic import generate_dataset

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = generate_dataset(Path(tmp) / "data", num_videos=2, num_frames=2 * args.frames, size=(240, 320),
                                seed=0, num_objects=args.objects)
        for config in args.configs:
            for mode in MODES:
                rows.append(run_mode(mode, config, data, Path(tmp) / "out", args))
    print(f"\none training step, peak memory and time: {args.device}, precision {args.precision}, "
          f"{args.threads} thread(s), {args.frames} frames, mask prompts; ratios over 'full'")
    print(f"{'config':<18}{'mode':<11}{'trainable':>11}{'peak RSS MiB':>14}{'ratio':>8}{'step +RSS MiB':>15}"
          f"{'ratio':>8}{'CUDA MiB':>10}{'step s':>9}{'ratio':>8}")
    for r in rows:
        full = next(x for x in rows if x["config"] == r["config"] and x["mode"] == "full")
        cuda = f"{r['cuda_max_allocated_mib']:.0f}" if r["cuda_max_allocated_mib"] is not None else "-"
        r["peak_ratio"] = r["peak_rss_mib"] / full["peak_rss_mib"]
        r["step_rss_ratio"] = r["step_rss_mib"] / max(full["step_rss_mib"], 1e-9)
        r["time_ratio"] = r["step_s"] / full["step_s"]
        print(f"{r['config']:<18}{r['mode']:<11}{r['trainable_params']:>11,}{r['peak_rss_mib']:>14.0f}"
              f"{r['peak_ratio']:>7.3f}x{r['step_rss_mib']:>15.0f}{r['step_rss_ratio']:>7.3f}x{cuda:>10}"
              f"{r['step_s']:>9.2f}{r['time_ratio']:>7.3f}x")
    for r in rows:
        if r["mode"] == "lora_ckpt":
            print(f"{r['config']}: LoRA + activation checkpointing peak RSS {r['peak_ratio']:.3f}x of full "
                  f"fine-tuning (step memory {r['step_rss_ratio']:.3f}x), step time {r['time_ratio']:.3f}x "
                  f"(target peak <= 0.6x)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
