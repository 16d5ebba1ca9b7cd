"""Prompt-free (AutoSAM2) evaluation speed vs mask-prompted evaluation of the same model.

    python bench/bench_autoprompt.py                    # debug SAM2 on CPU, 60 frames, 3 objects / categories
    python bench/bench_autoprompt.py --sam2 sam2.1_tiny --image-size 512 --frames 30
    python bench/bench_autoprompt.py --quick --json out.json

Both runs stream the same in-memory video through ``VideoPropagator`` (frame-0 prompt, SAM2 memory
afterwards) and resize the logits to the video like the evaluation. ``mask``: GT masks of the three
objects on frame 0; ``auto``: the learned prompt of the three categories on frame 0 (plus the
``every`` / ``on_collapse`` variants). Random weights (the speed does not depend on them); best of
``--repeats`` interleaved runs. Target: auto / mask >= 0.9.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from sam2_video.pipeline.planners.auto import AutoPromptSchedule, predict_auto_video
from sam2_video.config import compose_config
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.propagate import VideoPropagator, static_prompts
from sam2_video.model.builder import build_sam2_model
from sam2_video.prompt import FramePrompt


def video(t_len: int, h: int, w: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (H, W, 3) uint8 and frame-0 masks (3, H, W) of three moving discs."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:h, :w]
    frames, first = [], None
    for t in range(t_len):
        img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
        masks = np.stack([(yy - h * (0.3 + 0.2 * i) - t % 20) ** 2 + (xx - w * (0.25 + 0.25 * i)) ** 2 < (0.1 * h) ** 2
                          for i in range(3)])
        for i, m in enumerate(masks):
            img[m] = (80 * (i + 1), 200 - 60 * i, 120)
        frames.append(img)
        first = masks if first is None else first
    return frames, first


def run(prop: VideoPropagator, frames, geo, mode: str, first_masks, schedule: AutoPromptSchedule) -> float:
    t0 = time.perf_counter()
    if mode == "mask":
        schedule_, prompts_at = static_prompts({0: {i + 1: FramePrompt("mask", mask=m) for i, m in enumerate(first_masks)}})
        stream = (out.low_res_logits for out in prop.propagate(len(frames), lambda t: frames[t], schedule_, prompts_at, geo))
    else:
        stream = (pf.low_res for pf in predict_auto_video(prop, len(frames), lambda t: frames[t], [1, 2, 3], schedule, geo))
    for low in stream:
        if low is not None:
            (geo.logits(low) > 0).numpy()
    return len(frames) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sam2", default="debug")
    ap.add_argument("--image-size", type=int, default=None)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", type=int, nargs=2, default=(240, 320), metavar=("H", "W"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.quick:
        a.frames, a.repeats, a.size = 8, 1, (64, 80)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    overrides = [f"sam2={a.sam2}", "model.auto_prompt.enabled=true"]
    if a.image_size:
        overrides.append(f"model.image_size={a.image_size}")
    torch.manual_seed(0)
    model = build_sam2_model(compose_config(overrides).model).eval()
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    prop = VideoPropagator(model)
    frames, first = video(a.frames, *a.size)
    geo = FrameGeometry(a.size[0], a.size[1], prop.image_size)
    modes = {"mask": AutoPromptSchedule(), "auto": AutoPromptSchedule(),
             "auto_every10": AutoPromptSchedule(every=10), "auto_on_collapse0.3": AutoPromptSchedule(on_collapse=0.3)}
    best = {m: 0.0 for m in modes}
    run(prop, frames[:2], geo, "mask", first, modes["mask"])  # warm-up
    for _ in range(a.repeats):
        for m, sched in modes.items():
            best[m] = max(best[m], run(prop, frames, geo, "mask" if m == "mask" else "auto", first, sched))
    result = {"sam2": a.sam2, "image_size": prop.image_size, "frames": a.frames, "video": list(a.size),
              "threads": torch.get_num_threads(), "fps": {m: round(v, 2) for m, v in best.items()},
              "ratio_auto_vs_mask": {m: round(v / best["mask"], 3) for m, v in best.items() if m != "mask"},
              "encoder_params": sum(p.numel() for p in model.auto_prompt.parameters())}
    print(json.dumps(result, indent=2))
    r = result["ratio_auto_vs_mask"]
    print(f"prompt-free / mask-prompted frames/s: {r['auto']:.3f}x (every 10: {r['auto_every10']:.3f}x, "
          f"on collapse: {r['auto_on_collapse0.3']:.3f}x; target >= 0.9x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
