"""Refiner latency (PyTorch, onnxruntime) and its share of one SAM2 frame at the same resolution.

    python bench/bench_refiner.py                 # 512 x 512, C = 3, sam2.1_tiny at 512 px (random weights), CPU
    python bench/bench_refiner.py --quick         # debug SAM2 at 128 px (what the test runs)
    python bench/bench_refiner.py --classes 13 --hw 480 864 --json out.json

One SAM2 frame = what the prior step runs per frame (`sam2_video.inference.single_frame.SingleFrameSAM`):
image encoder + prompt encoder + mask decoder for ``--classes`` prompted objects (point + box),
logits resized to (H, W); a tracking frame adds memory attention, so its share would be smaller.
Refiner = the configured `TinyRefiner` (refiner=default) at batch 1, eval mode, PyTorch and the
exported ONNX (opset 17) in onnxruntime (CPU provider). Median of ``--runs`` after warm-up.
Target (issue 14): refiner <= 5 % of a SAM2 frame at 512 px with sam2.1_tiny on CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sam2_video.config import build, compose_config
from sam2_video.model.builder import build_sam2_model
from sam2_video.refiner.export import export_onnx, latency, median_ms, ort_session
from sam2_video.refiner.model import count_parameters
from sam2_video.inference.single_frame import SingleFrameSAM


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="debug SAM2 at 128 px, few runs (smoke test)")
    ap.add_argument("--sam2", default="sam2.1_tiny")
    ap.add_argument("--hw", type=int, nargs=2, default=[512, 512], help="refiner (H, W) = SAM2 image size")
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sam2-runs", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.sam2, args.hw, args.runs, args.sam2_runs = "debug", [128, 128], 5, 2
    hw = (int(args.hw[0]), int(args.hw[1]))
    cfg = compose_config([f"sam2={args.sam2}", f"model.image_size={max(hw)}", "experiment=refiner"])
    torch.manual_seed(0)
    net = build(cfg.refiner.net, num_classes=args.classes).eval()
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(net, Path(tmp) / "refiner.onnx", hw, int(cfg.refiner.export.opset))
        ref = latency(net, ort_session(onnx_path, torch.get_num_threads()), hw, args.runs)

    sam = SingleFrameSAM(build_sam2_model(cfg.model))
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (*hw, 3), dtype=np.uint8)
    coords = np.tile(np.array([[[hw[1] / 2, hw[0] / 2], [hw[1] / 4, hw[0] / 4]]], np.float32), (args.classes, 1, 1))
    labels = np.tile(np.array([[1, 0]], np.int32), (args.classes, 1))
    boxes = np.tile(np.array([[hw[1] / 4, hw[0] / 4, 3 * hw[1] / 4, 3 * hw[0] / 4]], np.float32), (args.classes, 1))
    sam_ms = median_ms(lambda: sam(image, coords, labels, boxes, hw), args.sam2_runs, warmup=1)

    out = {
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch thread(s)", "torch": torch.__version__,
        "refiner_params": count_parameters(net), "classes": args.classes, "resolution": list(hw),
        "sam2": args.sam2, "sam2_frame_ms": sam_ms, **ref,
        "share_torch": ref["torch_ms"] / sam_ms, "share_onnxruntime": ref["onnxruntime_ms"] / sam_ms,
    }
    print(f"refiner ({out['refiner_params']:,} params, C={args.classes}) at {hw[0]}x{hw[1]}: "
          f"PyTorch {ref['torch_ms']:.2f} ms, onnxruntime {ref['onnxruntime_ms']:.2f} ms")
    print(f"one {args.sam2} frame at {max(hw)} px ({args.classes} prompted objects): {sam_ms:.1f} ms")
    print(f"refiner / SAM2 frame: PyTorch {out['share_torch']:.4f}x ({100 * out['share_torch']:.2f} %), "
          f"onnxruntime {out['share_onnxruntime']:.4f}x ({100 * out['share_onnxruntime']:.2f} %); target <= 0.05x")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
