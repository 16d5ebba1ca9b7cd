"""Auto-prompting vs plain memory propagation through a full occlusion (sam2_video.stream.scenarios).

    python bench/bench_stream_recovery.py --checkpoint outputs/demo/checkpoints/model_official.pt
    python bench/bench_stream_recovery.py --quick      # random debug weights: a plumbing check only

A textured ellipse is seeded with its mask on frame 0; a wide bar sweeps over it and hides it fully
for a few frames. Each setting streams the video with the debug SAM2 (fitted by ``train.py
experiment=demo`` when ``--checkpoint`` is given; its model settings are used). Reported: mean IoU
with the visible ground truth on the frames where the object has reappeared (partly and fully
clear), the predicted area while it is hidden (should be ~0), and the ratio auto / plain.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from sam2_video.prompt import FramePrompt
from sam2_video.stream.runner import StreamRunner
from sam2_video.stream.scenarios import occlusion_video
from sam2_video.stream.settings import StreamSettings
from sam2_video.stream.sources import IteratorSource

SETTINGS = {"plain memory (K=1)": {}, "auto-prompt every frame": {"autoprompt_every": 1},
            "auto-prompt every 2nd frame": {"autoprompt_every": 2}}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / u) if u else 1.0


def measure(model, video, **kw) -> dict:
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False, **kw)
    seed = {1: FramePrompt("mask", mask=video.masks[0])}
    preds = {}
    for f in StreamRunner(model, s).frames(IteratorSource(list(video.frames), "occ"), lambda t: seed if t == 0 else {}):
        preds[f.index] = f.masks[0] if f.masks is not None and len(f.masks) else np.zeros(video.masks[0].shape, bool)
    back = [t for t in range(max(video.hidden) + 1, len(video.frames))]
    return {"iou_back": float(np.mean([iou(preds[t], video.masks[t]) for t in back])),
            "iou_clear": float(np.mean([iou(preds[t], video.masks[t]) for t in video.clear])),
            "iou_before": float(np.mean([iou(preds[t], video.masks[t]) for t in range(1, min(video.hidden) - 8)])),
            "area_hidden": float(np.mean([preds[t].sum() for t in video.hidden])),
            "per_frame_iou": [round(iou(preds[t], video.masks[t]), 4) for t in range(len(video.frames))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=3, help="scenes (background / texture seeds)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from bench_stream import build

    model = build("debug", 128, args.checkpoint)
    seeds = 1 if args.quick else args.seeds
    rows = {name: [] for name in SETTINGS}
    for seed in range(seeds):
        video = occlusion_video(num_frames=40, seed=seed)
        for name, kw in SETTINGS.items():
            rows[name].append(measure(model, video, **kw))
    weights = "fitted" if args.checkpoint else "random weights"
    print(f"debug SAM2 ({weights}), {seeds} scene(s); IoU with the visible object")
    print("| setting | IoU before occlusion | IoU after it (reappearing + clear) | IoU clear frames | area while hidden (px) |")
    print("|---|---|---|---|---|")
    mean = {n: {k: float(np.mean([r[k] for r in rs])) for k in ("iou_before", "iou_back", "iou_clear", "area_hidden")}
            for n, rs in rows.items()}
    for n, m in mean.items():
        print(f"| {n} | {m['iou_before']:.3f} | {m['iou_back']:.3f} | {m['iou_clear']:.3f} | {m['area_hidden']:.0f} |")
    plain, auto = mean["plain memory (K=1)"], mean["auto-prompt every frame"]
    print(f"auto-prompt / plain IoU after the occlusion: {auto['iou_back'] / max(plain['iou_back'], 1e-9):.2f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"mean": mean, "runs": rows, "weights": weights}, fh, indent=2)


if __name__ == "__main__":
    main()
