"""ONNX export of the refiner (static H x W, opset 17 by default), onnxruntime parity and latency.

The graph has inputs ``image`` (1, 3, H, W) float32 RGB in [0, 1] and ``prior`` (1, C, H, W) float32
logits, output ``logits`` (1, C + 1, H, W); the boundary head (train-time only) is not exported.
Exported with PyTorch's TorchScript-based exporter (``dynamo=False``), BatchNorm folded in eval mode.
`check_parity` runs the val set through both and reports the max abs logit difference.
GPU step (not run here): ``trtexec --onnx=refiner.onnx --fp16 --saveEngine=refiner_fp16.plan``.
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from sam2_video.atomic import atomic_path
from sam2_video.pipeline.stages.refiner import class_map
from sam2_video.refiner.model import TinyRefiner


def export_onnx(net: TinyRefiner, path: Path, hw: tuple[int, int], opset: int = 17) -> Path:
    """Write ``path`` atomically; returns it."""
    net = net.eval()
    dummy = (torch.rand(1, 3, *hw), torch.randn(1, net.num_classes, *hw))
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(net, dummy, buf, opset_version=int(opset), dynamo=False, do_constant_folding=True,
                          input_names=["image", "prior"], output_names=["logits"])
    with atomic_path(path, suffix=".onnx") as tmp:
        tmp.write_bytes(buf.getvalue())
    return path


def ort_session(path: Path, threads: int | None = None):
    """An onnxruntime CPU session with full graph optimisation."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def check_parity(net: TinyRefiner, session, batches: Iterable[dict]) -> dict:
    """Max / mean abs logit difference and argmax agreement, PyTorch vs onnxruntime, frame by frame."""
    net = net.eval()
    worst, total, n, agree, pixels = 0.0, 0.0, 0, 0, 0
    for batch in batches:
        for image, prior in zip(batch["image"], batch["prior"]):
            with torch.no_grad():
                ref = net(image[None].float(), prior[None].float()).numpy()
            got = session.run(["logits"], {"image": image[None].numpy().astype(np.float32),
                                           "prior": prior[None].numpy().astype(np.float32)})[0]
            diff = np.abs(ref - got)
            worst, total, n = max(worst, float(diff.max())), total + float(diff.mean()), n + 1
            agree += int((class_map(ref) == class_map(got)).sum())
            pixels += ref.shape[2] * ref.shape[3]
    return {"frames": n, "max_abs_diff": worst, "mean_abs_diff": total / max(n, 1),
            "argmax_agreement": agree / max(pixels, 1)}


def median_ms(fn: Callable[[], object], runs: int = 50, warmup: int = 5) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def latency(net: TinyRefiner, session, hw: tuple[int, int], runs: int = 50) -> dict:
    """Median batch-1 latency (ms) of PyTorch (eval, no grad) and onnxruntime at (H, W)."""
    image, prior = torch.rand(1, 3, *hw), torch.randn(1, net.num_classes, *hw)
    feeds = {"image": image.numpy(), "prior": prior.numpy()}
    net = net.eval()

    def torch_run():
        with torch.inference_mode():
            net(image, prior)

    return {"torch_ms": median_ms(torch_run, runs), "onnxruntime_ms": median_ms(lambda: session.run(None, feeds), runs),
            "resolution": list(hw), "runs": runs, "torch_threads": torch.get_num_threads()}
