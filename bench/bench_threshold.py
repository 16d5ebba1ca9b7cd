"""Cost of the threshold search relative to one evaluation pass (target: 11 thresholds <= 1.2x).

    python bench/bench_threshold.py            # debug SAM2 on CPU, synthetic 240x320 videos
    python bench/bench_threshold.py --quick    # tiny sizes (what the test runs)
    python bench/bench_threshold.py --json out.json

Times (best of ``--repeats``, after a warm-up): one ``evaluate_index`` pass with all outputs
(metrics CSV, PNG masks, report) and a lean one (metrics only), and ``search_index`` with 11
thresholds (0.05..0.95) and with the default 19 (0.05 step). The search runs the model once,
keeps the logits on disk and scores every threshold in one sort-free pass.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sam2_video.config import compose_config
from sam2_video.eval.evaluate import evaluate_index, load_index
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.eval.threshold import search_index
from sam2_video.model.builder import build_sam2_model


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--videos", type=int, default=8, help="synthetic videos (a quarter are the val split)")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--hw", type=int, nargs=2, default=[240, 320])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.videos, args.frames, args.hw, args.repeats = 4, 6, [64, 80], 1
    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config(["sam2=debug", f"data.root={tmp}/data", f"data.synthetic.num_videos={args.videos}",
                              f"data.synthetic.num_frames={args.frames}", f"data.synthetic.size=[{args.hw[0]},{args.hw[1]}]"])
        index = load_index(cfg, "val")
        torch.manual_seed(0)
        model = build_sam2_model(cfg.model).eval()
        with torch.no_grad():  # non-empty masks from the random debug model
            model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
        full = EvalSettings(report=True, save_masks=True)
        lean = EvalSettings(report=False, save_masks=False)
        grid11 = [round(float(x), 4) for x in np.linspace(0.05, 0.95, 11)]
        grid19 = lean.threshold_grid()
        out = Path(tmp)
        t = {
            "eval_full": best_time(lambda: evaluate_index(model, index, full, out / "eval_full"), args.repeats),
            "eval_lean": best_time(lambda: evaluate_index(model, index, lean, out / "eval_lean"), args.repeats),
            "search_11": best_time(lambda: search_index(model, index, lean, out / "s11", grid11), args.repeats),
            "search_19": best_time(lambda: search_index(model, index, lean, out / "s19", grid19), args.repeats),
        }
        frames = index.num_frames
    result = {"seconds": t, "frames": frames, "hw": args.hw,
              "ratio_11_vs_eval_lean": t["search_11"] / t["eval_lean"],
              "ratio_11_vs_eval_full": t["search_11"] / t["eval_full"],
              "ratio_19_vs_eval_lean": t["search_19"] / t["eval_lean"]}
    for k, v in t.items():
        print(f"{k:>10}: {v:.2f} s ({frames / v:.1f} frames/s)")
    print(f"threshold search / eval pass: 11 thresholds {result['ratio_11_vs_eval_lean']:.2f}x (lean eval), "
          f"{result['ratio_11_vs_eval_full']:.2f}x (eval with PNGs + report); "
          f"19 thresholds {result['ratio_19_vs_eval_lean']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
