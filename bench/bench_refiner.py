"""Refiner latency (PyTorch, onnxruntime) and its share of one SAM2 frame at the same resolution.

    python bench/bench_refiner.py                 # 512 x 512, C = 3, sam2.1_tiny at 512 px (random weights), CPU
    python bench/bench_refiner.py --quick         # debug SAM2 at 128 px (what the test runs)
    python bench/bench_refiner.py --classes 13 --hw 480 864 --json out.json
    python bench/bench_refiner.py --device cuda --hw 1024 1024

One SAM2 frame = what the prior step runs per frame (`sam2_video.inference.single_frame.SingleFrameSAM`):
image encoder + prompt encoder + mask decoder for ``--classes`` prompted objects (point + box),
logits resized to (H, W) (bf16 autocast on CUDA); a tracking frame adds memory attention, so its
share would be smaller. Refiner = the configured `TinyRefiner` (refiner=default) at batch 1, eval
mode, PyTorch and the exported ONNX (opset 17) in onnxruntime: CPU provider on CPU; on CUDA the
CUDA provider where the installed onnxruntime has it (numpy in / out, and with inputs and output
bound on the GPU), else the CPU provider, said so in ``onnxruntime_provider_note``. Median of
``--runs`` after warm-up; on CUDA also the peak GPU memory (torch's allocator; onnxruntime's own
allocator: the drop in free device memory). Target (issue 14): refiner <= 5 % of a SAM2 frame at
512 px with sam2.1_tiny on CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import sync  # noqa: E402,F401  (bench/measure.py; bench_memory imports it from here)
from sam2_video.config import build, compose_config
from sam2_video.model.builder import build_sam2_model
from sam2_video.refiner.export import export_onnx, median_ms, ort_session
from sam2_video.refiner.model import count_parameters
from sam2_video.inference.single_frame import SingleFrameSAM


def ort_latency(onnx_path: Path, feeds: dict, device: torch.device, runs: int) -> dict:
    """onnxruntime median ms: CUDA provider on a CUDA ``device`` where installed, else the CPU provider."""
    import onnxruntime as ort

    providers = ort.get_available_providers()
    out = {"onnxruntime_version": ort.__version__, "onnxruntime_providers": providers}
    if device.type != "cuda" or "CUDAExecutionProvider" not in providers:
        if device.type == "cuda":
            out["onnxruntime_provider_note"] = (f"CUDA provider not installed (onnxruntime {ort.__version__} has "
                                                f"{', '.join(providers)}): CPU provider measured")
        sess = ort_session(onnx_path, torch.get_num_threads())
        return {**out, "onnxruntime_provider": "CPUExecutionProvider",
                "onnxruntime_ms": median_ms(lambda: sess.run(None, feeds), runs)}
    idx = device.index or 0
    free0 = torch.cuda.mem_get_info(idx)[0]
    sess = ort.InferenceSession(str(onnx_path), providers=[("CUDAExecutionProvider", {"device_id": idx}),
                                                          "CPUExecutionProvider"])
    out.update(onnxruntime_provider=sess.get_providers()[0],
               onnxruntime_ms=median_ms(lambda: sess.run(None, feeds), runs))
    try:  # inputs and output on the GPU: no host copies in the timed call
        binding = sess.io_binding()
        for name, arr in feeds.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(arr, "cuda", idx))
        binding.bind_output("logits", "cuda", idx)
        out["onnxruntime_iobinding_ms"] = median_ms(lambda: sess.run_with_iobinding(binding), runs)
    except Exception as exc:  # noqa: BLE001  (an optional extra figure)
        out["onnxruntime_iobinding_error"] = f"{type(exc).__name__}: {exc}"
    out["onnxruntime_gpu_mib"] = (free0 - torch.cuda.mem_get_info(idx)[0]) / 2**20
    return out


def measure(sam2: str = "sam2.1_tiny", hw: tuple[int, int] = (512, 512), classes: int = 3, runs: int = 30,
            sam2_runs: int = 5, device: str = "cpu") -> dict:
    """Refiner latency (PyTorch, onnxruntime) and one SAM2 frame at ``hw`` on ``device`` (see module doc)."""
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    cfg = compose_config([f"sam2={sam2}", f"model.image_size={max(hw)}", "experiment=refiner"])
    torch.manual_seed(0)
    net = build(cfg.refiner.net, num_classes=classes).eval()
    image, prior = torch.rand(1, 3, *hw), torch.randn(1, classes, *hw)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(net, Path(tmp) / "refiner.onnx", hw, int(cfg.refiner.export.opset))
        ref = ort_latency(onnx_path, {"image": image.numpy(), "prior": prior.numpy()}, dev, runs)
    net, image, prior = net.to(dev), image.to(dev), prior.to(dev)

    def torch_run():
        with torch.inference_mode():
            net(image, prior)
        sync(dev)

    if cuda:
        torch.cuda.reset_peak_memory_stats(dev)
    ref["torch_ms"] = median_ms(torch_run, runs)
    ref["torch_peak_gpu_mib"] = torch.cuda.max_memory_allocated(dev) / 2**20 if cuda else None

    sam = SingleFrameSAM(build_sam2_model(cfg.model).to(dev))
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (*hw, 3), dtype=np.uint8)
    coords = np.tile(np.array([[[hw[1] / 2, hw[0] / 2], [hw[1] / 4, hw[0] / 4]]], np.float32), (classes, 1, 1))
    labels = np.tile(np.array([[1, 0]], np.int32), (classes, 1))
    boxes = np.tile(np.array([[hw[1] / 4, hw[0] / 4, 3 * hw[1] / 4, 3 * hw[0] / 4]], np.float32), (classes, 1))
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext

    def sam_run():
        with torch.inference_mode(), autocast():
            sam(frame, coords, labels, boxes, hw)
        sync(dev)

    sam_ms = median_ms(sam_run, sam2_runs, warmup=1)
    machine = torch.cuda.get_device_name(dev) if cuda else (f"{platform.processor() or platform.machine()}, "
                                                             f"{torch.get_num_threads()} torch thread(s)")
    return {"date": time.strftime("%Y-%m-%d"), "device": str(dev), "machine": machine, "torch": torch.__version__,
            "refiner_params": count_parameters(net), "classes": classes, "resolution": list(hw), "sam2": sam2,
            "sam2_frame_ms": sam_ms, "resolution_px": max(hw), **ref, "runs": runs,
            "share_torch": ref["torch_ms"] / sam_ms, "share_onnxruntime": ref["onnxruntime_ms"] / sam_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="debug SAM2 at 128 px, few runs (smoke test)")
    ap.add_argument("--sam2", default="sam2.1_tiny")
    ap.add_argument("--hw", type=int, nargs=2, default=[512, 512], help="refiner (H, W) = SAM2 image size")
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sam2-runs", type=int, default=5)
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.sam2, args.hw, args.runs, args.sam2_runs = "debug", [128, 128], 5, 2
    hw = (int(args.hw[0]), int(args.hw[1]))
    out = measure(args.sam2, hw, args.classes, args.runs, args.sam2_runs, args.device)
    print(f"refiner ({out['refiner_params']:,} params, C={args.classes}) at {hw[0]}x{hw[1]} on {out['device']}: "
          f"PyTorch {out['torch_ms']:.2f} ms, onnxruntime ({out['onnxruntime_provider']}) {out['onnxruntime_ms']:.2f} ms")
    if out.get("onnxruntime_provider_note"):
        print(out["onnxruntime_provider_note"])
    print(f"one {args.sam2} frame at {max(hw)} px ({args.classes} prompted objects): {out['sam2_frame_ms']:.1f} ms")
    print(f"refiner / SAM2 frame: PyTorch {out['share_torch']:.4f}x ({100 * out['share_torch']:.2f} %), "
          f"onnxruntime {out['share_onnxruntime']:.4f}x ({100 * out['share_onnxruntime']:.2f} %); target <= 0.05x")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
