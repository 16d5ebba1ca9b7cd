"""Streaming: ms/frame at memory cadence K = 5 vs K = 1 and its accuracy cost; flat memory in stream length.

    python bench/bench_stream.py                      # debug SAM2 + sam2.1_tiny at 512 px (CPU); 200 vs 2000 frames
    python bench/bench_stream.py --quick              # tiny sizes (what the test runs)
    python bench/bench_stream.py --debug-checkpoint outputs/demo/checkpoints/model_official.pt --json out.json
    python bench/bench_stream.py --device cuda --variant sam2.1_tiny --image-size 1024 --src-size 480 854 --no-memory

Speed / accuracy: ``run_stream`` (what ``python -m sam2_video.stream`` runs, from a composed config:
decode, SAM2 step, post-processing, memory write, scoring; bf16 autocast on CUDA) over the val videos
of a generated synthetic set, seeded from the GT masks, for each model at K = 1 and K = 5 (runs
interleaved, best of ``--repeats``); ms/frame is the runner's end-to-end mean over tracked frames,
J&F / Dice the evaluation's metrics, and on CUDA the peak GPU memory of each run is recorded. Random
weights (unless ``--debug-checkpoint``) make the accuracy numbers a plumbing check, not a quality claim.
Memory: a camera-like stream of generated frames (debug SAM2, masks + CSV written), each length in a
fresh subprocess; peak RSS at the end. Target: RSS ratio (2000 / 200 frames) <= 1.1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import PeakMemory  # noqa: E402  (bench/measure.py)
from sam2_video.config import compose_config
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.checkpoint import save_official
from sam2_video.stream.run import run_stream  # the package's stream entry: run_stream(cfg)


def build(variant: str, size: int | None = None):
    """``variant`` at ``size`` px, random weights with the object-score bias raised (masks not empty)."""
    cfg = compose_config([f"sam2={variant}"] + ([f"model.image_size={size}"] if size else []))
    torch.manual_seed(0)
    model = build_sam2_model(cfg.model).eval()
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    return model


def model_overrides(variant: str, size: int | None, checkpoint: str | None, tmp: Path) -> list[str]:
    """Overrides that make ``run_stream`` build this model: a fitted debug checkpoint (with the
    ``experiment=demo`` model settings it was trained with) or random weights saved by :func:`build`."""
    sized = [f"sam2={variant}"] + ([f"model.image_size={size}"] if size else [])
    if checkpoint:
        return ["experiment=demo", *sized, f"model.checkpoint_path={Path(checkpoint).resolve()}"]
    path = tmp / f"{variant}_{size}_random.pt"
    save_official(build(variant, size), path)
    return [*sized, f"model.checkpoint_path={path}"]


def data_overrides(root: Path, videos: int, frames: int, src_size: tuple[int, int]) -> list[str]:
    """The generated synthetic set the runs stream (its val videos: a quarter of ``videos``)."""
    return [f"data.root={root}", f"data.synthetic.num_videos={videos}", f"data.synthetic.num_frames={frames}",
            f"data.synthetic.size=[{src_size[0]},{src_size[1]}]"]


def cadence(base: list[str], k: int, out: Path, device: str = "cpu", peak: PeakMemory | None = None) -> dict:
    """One ``run_stream`` at memory cadence ``k`` with the ``base`` overrides (model + data)."""
    cfg = compose_config([*base, f"stream.memory_every={k}", "stream.progress=false", "stream.save_masks=false",
                          "stream.memory_dtype=bfloat16", "eval.report=false", "eval.save_masks=false",
                          f"eval.device={device}", f"output_dir={out}"])
    peak = peak or PeakMemory(torch.device(device))
    with peak.of(f"K{k}"):
        summary = run_stream(cfg)
    o = summary["overall"]
    return {"K": k, "frames": o["num_frames"], "ms_per_frame": o["ms_per_frame"], "cpu_ms": o["cpu_ms_per_frame"],
            "JF": o["JF"], "dice": o["dice"], "median_ms": summary["timing"]["median_ms"],
            "stage_ms": summary["timing"]["stage_ms"], "peak_gpu_mib": peak.mib[f"K{k}"]}


def cadence_row(variant: str, size: int | None, tmp: Path, repeats: int, device: str = "cpu",
                checkpoint: str | None = None, data: list[str] = (), tag: str = "") -> dict:
    """K = 1 vs K = 5 for one model, runs interleaved, best of ``repeats``; the table's row."""
    base = [*model_overrides(variant, size, checkpoint, tmp), *data]
    best: dict[int, dict] = {}
    for r in range(repeats):
        for k in (1, 5):
            res = cadence(base, k, tmp / f"{variant}{tag}_{k}_{r}", device)
            if k not in best or res["ms_per_frame"] < best[k]["ms_per_frame"]:
                best[k] = res
    k1, k5 = best[1], best[5]
    px = size or compose_config([f"sam2={variant}"]).model.image_size
    return {"model": f"{variant} @ {px} px" + (" (fitted)" if checkpoint else " (random weights)"),
            "device": device, "frames": k1["frames"], "ms_K1": k1["ms_per_frame"],
            "ms_K5": k5["ms_per_frame"], "speedup": k1["ms_per_frame"] / k5["ms_per_frame"],
            "cpu_K1": k1["cpu_ms"], "cpu_K5": k5["cpu_ms"], "cpu_speedup": k1["cpu_ms"] / k5["cpu_ms"],
            "JF_K1": k1["JF"], "JF_K5": k5["JF"], "dJF": k5["JF"] - k1["JF"], "dice_K1": k1["dice"],
            "dice_K5": k5["dice"], "memory_ms_K1": k1["stage_ms"]["memory"], "memory_ms_K5": k5["stage_ms"]["memory"],
            "median_ms_K1": k1["median_ms"], "median_ms_K5": k5["median_ms"],
            "peak_gpu_mib_K1": k1["peak_gpu_mib"], "peak_gpu_mib_K5": k5["peak_gpu_mib"]}


def speed(args, tmp: Path) -> list[dict]:
    data = data_overrides(tmp / "data", args.videos, args.frames, tuple(args.src_size))
    models = ([(args.variant, args.image_size, args.debug_checkpoint if args.variant == "debug" else None)]
              if args.variant else [("debug", 128, args.debug_checkpoint), ("sam2.1_tiny", args.tiny_size, None)])
    return [cadence_row(v, size, tmp, args.repeats, args.device, ckpt, data) for v, size, ckpt in models]


def child_rss(n: int) -> None:
    """Stream ``n`` generated frames from a folder (debug SAM2, seeded by a mask in a prompts file,
    masks + CSV written) with ``run_stream`` and print the peak RSS (MiB) as JSON."""
    torch.set_num_threads(1)
    h, w = 96, 128
    yy, xx = np.mgrid[:h, :w]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "frames").mkdir()
        rng = np.random.default_rng(0)
        for t in range(n):
            img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
            cy, cx = 48 + 20 * np.sin(t / 15), 64 + 30 * np.cos(t / 20)
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 < 144
            img[disc] = (220, 60, 60)
            Image.fromarray(img).save(tmp / "frames" / f"{t:05d}.png")
            if t == 0:
                Image.fromarray(disc.astype(np.uint8) * 255).save(tmp / "seed.png")
        (tmp / "prompts.json").write_text(json.dumps({"frame": 0, "objects": {"1": {"mask": "seed.png"}}}))
        cfg = compose_config([*model_overrides("debug", 128, None, tmp), "stream.source=folder",
                              f"stream.path={tmp / 'frames'}", "stream.seed=prompts",
                              f"stream.prompts_file={tmp / 'prompts.json'}", "stream.progress=false",
                              "stream.save_masks=true", "eval.device=cpu", f"output_dir={tmp / 'out'}"])
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        summary = run_stream(cfg)
        seconds = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": n, "rss_before_mib": rss0, "peak_rss_mib": rss1, "seconds": seconds,
                      "ms_per_frame": summary["overall"]["ms_per_frame"]}))


def memory(lengths: list[int]) -> list[dict]:
    out = []
    for n in lengths:
        cmd = [sys.executable, __file__, "--child-rss", str(n)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    ap.add_argument("--videos", type=int, default=8, help="synthetic videos (a quarter are val)")
    ap.add_argument("--frames", type=int, default=24, help="frames per synthetic video")
    ap.add_argument("--tiny-size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--short", type=int, default=200)
    ap.add_argument("--long", type=int, default=2000)
    ap.add_argument("--debug-checkpoint", default=None, help="fitted debug SAM2 weights (else random)")
    ap.add_argument("--no-memory", action="store_true", help="skip the RSS part (speed / accuracy only)")
    ap.add_argument("--device", default="cpu", help="speed runs: cpu | cuda | cuda:N (memory runs: CPU)")
    ap.add_argument("--variant", default=None, help="speed runs of this SAM2 config only (default: debug + sam2.1_tiny)")
    ap.add_argument("--image-size", type=int, default=None, help="model.image_size of --variant (default: its own)")
    ap.add_argument("--src-size", type=int, nargs=2, default=[128, 160], help="synthetic frame H W")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child-rss", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_rss is not None:
        return child_rss(args.child_rss)
    torch.set_num_threads(args.threads)
    if args.quick:
        args.videos, args.frames, args.tiny_size, args.repeats, args.short, args.long = 4, 6, 128, 1, 10, 30
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    with tempfile.TemporaryDirectory() as d:
        rows = speed(args, Path(d))
    mem = memory([args.short, args.long]) if not args.no_memory else []
    print("| model | frames | ms/frame K=1 | ms/frame K=5 | K=1 / K=5 | CPU ms K=1 | CPU ms K=5 | CPU K=1 / K=5 "
          "| J&F K=1 | J&F K=5 | ΔJ&F | Dice K=1 | Dice K=5 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['frames']} | {r['ms_K1']:.1f} | {r['ms_K5']:.1f} | {r['speedup']:.2f}x | "
              f"{r['cpu_K1']:.1f} | {r['cpu_K5']:.1f} | {r['cpu_speedup']:.2f}x | "
              f"{r['JF_K1']:.4f} | {r['JF_K5']:.4f} | {r['dJF']:+.4f} | {r['dice_K1']:.4f} | {r['dice_K5']:.4f} |")
    ratio = mem[1]["peak_rss_mib"] / mem[0]["peak_rss_mib"] if mem else None
    if mem:
        print(f"peak RSS: {mem[0]['frames']} frames {mem[0]['peak_rss_mib']:.0f} MiB, {mem[1]['frames']} frames "
              f"{mem[1]['peak_rss_mib']:.0f} MiB -> ratio {ratio:.3f}x (target <= 1.1); "
              f"{mem[1]['ms_per_frame']:.1f} ms/frame over the long stream")
    if args.json:
        Path(args.json).write_text(json.dumps({"cadence": rows, "memory": mem, "rss_ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
