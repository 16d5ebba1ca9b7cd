"""Auto-prompting vs plain memory propagation through a full occlusion (sam2_video.data.occlusion_scenes).

    python bench/bench_stream_recovery.py --checkpoint outputs/demo/checkpoints/model_official.pt
    python bench/bench_stream_recovery.py sam2=sam2.1_tiny model.image_size=512 model.checkpoint_path=sam2.1_hiera_tiny.pt
    python bench/bench_stream_recovery.py --quick      # random debug weights: a plumbing check only

A textured ellipse (drawn by the synthetic dataset's generator) is seeded with its mask on frame 0;
``--scene reveal`` (default): an occluder covers it at once for 14 frames, it changes its look while
covered and is uncovered at once; ``--scene pass``: a large textured ellipse flies over it and hides
it fully for ~10 frames. Each setting streams the video (sam2_video.stream.recovery). The model: Hydra overrides of any architecture (``sam2=<variant>
model.checkpoint_path=...``), or ``--checkpoint`` = weights fitted by ``train.py experiment=demo``
(that experiment's model settings; debug SAM2). Reported per setting, mean over scenes: IoU with the
visible object before the occlusion, after it (reappearing + clear frames) and on the clear frames,
the predicted area while it is fully hidden and the share of hidden frames predicted empty; and the
precondition of any recovery by re-prompting: the IoU of the auto-prompt's box + point given on the
true object, one frame at a time (sam2_video.stream.recovery.check_prompt_response).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

import numpy as np
import torch

SETTINGS = {"plain memory (K=1)": {},
            "auto-prompt every frame, confirm (hold 20)": {"autoprompt_every": 1, "autoprompt_hold": 20},
            "auto-prompt every frame, always (hold 20)": {"autoprompt_every": 1, "autoprompt_hold": 20,
                                                          "autoprompt_mode": "always"}}
SCENES = ("reveal", "pass")  # sam2_video.data.occlusion_scenes: reveal_video, occlusion_video
KEYS = ("iou_before", "iou_after", "iou_clear", "area_hidden", "empty_hidden")


def load_model(overrides: list[str], checkpoint: str | None):
    from sam2_video.config import compose_config
    from sam2_video.model.builder import build_sam2_model

    demo = ["experiment=demo", f"model.checkpoint_path={checkpoint}"] if checkpoint else []
    arch = [] if any(o.startswith("sam2=") for o in overrides) else ["sam2=debug"]
    cfg = compose_config([*demo, *arch, *overrides])
    model = build_sam2_model(cfg.model).eval()
    if not cfg.model.checkpoint_path:  # random weights: raise the object-score bias so masks are not empty
        with torch.no_grad():
            model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0
    return model, cfg


def run(model, seeds: int, size: int, scene: str = "reveal") -> tuple[dict[str, list[dict]], list[dict]]:
    from sam2_video.stream.recovery import check_prompt_response, track_through_occlusion
    from sam2_video.data.occlusion_scenes import occlusion_video, reveal_video

    make = reveal_video if scene == "reveal" else occlusion_video
    rows: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    checks = []
    for seed in range(seeds):
        video = make(size=size, seed=seed)
        checks.append(asdict(check_prompt_response(model, video)))
        for name, kw in SETTINGS.items():
            rows[name].append(asdict(track_through_occlusion(model, video, **kw)))
    return rows, checks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("overrides", nargs="*", help="Hydra overrides of the model, e.g. sam2=sam2.1_tiny model.checkpoint_path=X")
    ap.add_argument("--checkpoint", default=None, help="weights fitted by train.py experiment=demo (debug SAM2)")
    ap.add_argument("--quick", action="store_true", help="one scene")
    ap.add_argument("--seeds", type=int, default=8, help="scenes (background / texture seeds)")
    ap.add_argument("--scene", choices=SCENES, default="reveal",
                    help="reveal: covered at once, restyled while hidden, uncovered at once; pass: an occluder flies over it")
    ap.add_argument("--size", type=int, default=128, help="scene side in pixels (SAM2 resizes it to model.image_size)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    model, cfg = load_model(args.overrides, args.checkpoint)
    seeds = 1 if args.quick else args.seeds
    rows, checks = run(model, seeds, args.size, args.scene)
    weights = cfg.model.checkpoint_path or "random weights"
    print(f"SAM2 {cfg.model.variant} @ {cfg.model.image_size} px ({weights}), {seeds} '{args.scene}' scene(s) of {args.size} px; "
          "IoU with the visible object")
    print("| setting | IoU before occlusion | IoU after it (reappearing + clear) | IoU clear frames "
          "| area while hidden (px) | hidden frames predicted empty |")
    print("|---|---|---|---|---|---|")
    mean = {n: {k: float(np.mean([r[k] for r in rs])) for k in KEYS} for n, rs in rows.items()}
    for n, m in mean.items():
        print(f"| {n} | {m['iou_before']:.3f} | {m['iou_after']:.3f} | {m['iou_clear']:.3f} | {m['area_hidden']:.0f} "
              f"| {m['empty_hidden']:.0%} |")
    print(f"box + point prompt on the true object, one frame at a time (occluder in view if it ever is before): IoU "
          f"{np.mean([c['iou'] for c in checks]):.3f}, share of the predicted pixels on the occluder "
          f"{np.mean([c['on_occluder'] for c in checks]):.0%} (re-prompting can only recover the object when "
          "this IoU is high)")
    plain = mean["plain memory (K=1)"]["iou_after"]
    for n in list(SETTINGS)[1:]:
        print(f"{n} - plain, IoU after the occlusion: {mean[n]['iou_after'] - plain:+.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"scene": args.scene, "mean": mean, "runs": rows, "prompt_check": checks, "weights": str(weights),
                       "variant": cfg.model.variant}, fh, indent=2)


if __name__ == "__main__":
    main()
