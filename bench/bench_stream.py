"""Streaming: ms/frame at memory cadence K = 5 vs K = 1 and its accuracy cost; flat memory in stream length.

    python bench/bench_stream.py                      # debug SAM2 + sam2.1_tiny at 512 px (CPU); 200 vs 2000 frames
    python bench/bench_stream.py --quick              # tiny sizes (what the test runs)
    python bench/bench_stream.py --debug-checkpoint outputs/demo/checkpoints/model_official.pt --json out.json

Speed / accuracy: ``stream_index`` (the runner of ``python -m sam2_video.stream``: decode, SAM2 step,
post-processing, memory write, scoring) over the val videos of a generated synthetic set, seeded from
the GT masks, for each model at K = 1 and K = 5 (runs interleaved, best of ``--repeats``); ms/frame
is the runner's end-to-end mean over tracked frames, J&F / Dice the evaluation's metrics. Random
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

from sam2_video.config import compose_config
from sam2_video.eval.evaluate import load_index
from sam2_video.eval.settings import EvalSettings
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.checkpoint import load_into
from sam2_video.prompt import FramePrompt
from sam2_video.stream.run import stream_index, stream_source
from sam2_video.stream.runner import StreamRunner
from sam2_video.stream.settings import StreamSettings
from sam2_video.stream.sources import IteratorSource


def build(variant: str, size: int, checkpoint: str | None = None):
    demo = ["experiment=demo"] if checkpoint else []  # fitted by train.py experiment=demo: its model settings
    cfg = compose_config([*demo, f"sam2={variant}", f"model.image_size={size}"])
    torch.manual_seed(0)
    model = build_sam2_model(cfg.model).eval()
    if checkpoint:
        load_into(model, checkpoint, cfg.model.variant)
    else:  # random weights: raise the object-score bias so that masks are not empty
        with torch.no_grad():
            model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    return model


def cadence(model, index, k: int, out: Path) -> dict:
    s = StreamSettings(memory_every=k, progress=False, save_masks=False, memory_dtype="bfloat16")
    es = EvalSettings(report=False, save_masks=False)
    summary = stream_index(model, index, s, es, out)
    o = summary["overall"]
    return {"K": k, "ms_per_frame": o["ms_per_frame"], "cpu_ms": o["cpu_ms_per_frame"], "JF": o["JF"], "dice": o["dice"],
            "stage_ms": summary["timing"]["stage_ms"]}


def speed(args, tmp: Path) -> list[dict]:
    cfg = compose_config([f"data.root={tmp / 'data'}", f"data.synthetic.num_videos={args.videos}",
                          f"data.synthetic.num_frames={args.frames}", "data.synthetic.size=[128,160]"])
    index = load_index(cfg, "val")
    rows = []
    for variant, size, ckpt in (("debug", 128, args.debug_checkpoint), ("sam2.1_tiny", args.tiny_size, None)):
        model = build(variant, size, ckpt)
        best: dict[int, dict] = {}
        for r in range(args.repeats):
            for k in (1, 5):
                res = cadence(model, index, k, tmp / f"{variant}_{k}_{r}")
                if k not in best or res["ms_per_frame"] < best[k]["ms_per_frame"]:
                    best[k] = res
        k1, k5 = best[1], best[5]
        rows.append({"model": f"{variant} @ {size} px" + (" (fitted)" if ckpt else " (random weights)"),
                     "frames": sum(len(v) for v in index.videos), "ms_K1": k1["ms_per_frame"],
                     "ms_K5": k5["ms_per_frame"], "speedup": k1["ms_per_frame"] / k5["ms_per_frame"],
                     "cpu_K1": k1["cpu_ms"], "cpu_K5": k5["cpu_ms"], "cpu_speedup": k1["cpu_ms"] / k5["cpu_ms"],
                     "JF_K1": k1["JF"], "JF_K5": k5["JF"], "dJF": k5["JF"] - k1["JF"], "dice_K1": k1["dice"],
                     "dice_K5": k5["dice"], "memory_ms_K1": k1["stage_ms"]["memory"],
                     "memory_ms_K5": k5["stage_ms"]["memory"]})
        del model
    return rows


def child_rss(n: int) -> None:
    """Stream ``n`` generated frames (debug SAM2, outputs written) and print peak RSS (MiB) as JSON."""
    torch.set_num_threads(1)
    model = build("debug", 128)
    h, w = 96, 128
    yy, xx = np.mgrid[:h, :w]

    def frames():
        rng = np.random.default_rng(0)
        for t in range(n):
            img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
            cy, cx = 48 + 20 * np.sin(t / 15), 64 + 30 * np.cos(t / 20)
            img[(yy - cy) ** 2 + (xx - cx) ** 2 < 144] = (220, 60, 60)
            yield img

    first = next(frames())
    seed = {1: FramePrompt("mask", mask=np.all(first == (220, 60, 60), axis=-1))}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False, save_masks=True)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        summary = stream_source(StreamRunner(model, s), IteratorSource(frames(), "cam"),
                                lambda t: seed if t == 0 else {}, d)
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
    ap.add_argument("--json", default=None)
    ap.add_argument("--child-rss", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_rss is not None:
        return child_rss(args.child_rss)
    torch.set_num_threads(1)
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
