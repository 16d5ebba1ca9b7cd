"""The optional refiner stage of the stream: a small protocol and two implementations.

:class:`Refiner` protocol: ``refiner(image, prior) -> logits`` with ``image`` (1, 3, H, W) float32 RGB
in [0, 1], ``prior`` (1, C, H, W) float32 SAM2 logits (one channel per tracked object, in the
stream's object order) and the result (1, C, H, W) float32 logits, at the frame resolution.

- :class:`TorchRefiner`: any ``nn.Module`` (e.g. ``sam2_video.refiner.model.TinyRefiner``);
- :class:`OnnxRefiner`: an exported ``.onnx`` (inputs ``image`` (1, 3, H, W), ``prior`` (1, C, H, W)),
  run by onnxruntime; its static size is checked when loaded, a wrong shape is one ConfigError line;
  C may exceed the objects tracked so far (the rest are fed as absent).

Both letterbox the frame to a fixed (H, W) when the model needs one (``sam2_video.refiner.letterbox``,
as the refiner was trained) and map the result back. Models with C + 1 outputs (background first,
softmax over classes, like ``TinyRefiner``) are turned into per-channel binary logits
``log p_c - log(1 - p_c)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.data.resize import PAD_RGB
from sam2_video.errors import ConfigError

ABSENT_LOGIT = -20.0
_PAD = torch.tensor(PAD_RGB, dtype=torch.float32)[:, None, None] / 255.0  # letterbox colour, as in training


class Refiner(Protocol):
    def __call__(self, image: torch.Tensor, prior: torch.Tensor) -> torch.Tensor: ...


def binary_logits(out: torch.Tensor, channels: int) -> torch.Tensor:
    """(1, C, H, W) as is, or (1, C + 1, H, W) background-first softmax logits -> (1, C, H, W) binary logits."""
    if out.shape[1] == channels:
        return out
    logp = F.log_softmax(out.float(), dim=1)[:, 1:]
    return logp - torch.log1p(-logp.exp().clamp(max=1 - 1e-6))


def _fit(x: torch.Tensor, size: Optional[tuple[int, int]], fill: float | torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
    """Letterbox (1, C, h, w) into ``size`` (top-left, aspect kept); returns it and the content size."""
    h, w = x.shape[-2:]
    if size is None or (h, w) == tuple(size):
        return x, (h, w)
    s = min(size[0] / h, size[1] / w)
    nh, nw = max(1, min(size[0], round(h * s))), max(1, min(size[1], round(w * s)))
    small = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    out = torch.empty((1, x.shape[1], *size), dtype=x.dtype)
    out[...] = fill
    out[..., :nh, :nw] = small
    return out, (nh, nw)


def _unfit(y: torch.Tensor, content: tuple[int, int], hw: tuple[int, int]) -> torch.Tensor:
    y = y[..., : content[0], : content[1]]
    return y if tuple(y.shape[-2:]) == tuple(hw) else F.interpolate(y, size=hw, mode="bilinear", align_corners=False)


class TorchRefiner:
    """An ``nn.Module`` refiner (eval mode, no grad); ``size``: its fixed (H, W) input, None = any."""

    def __init__(self, net: torch.nn.Module, size: Optional[tuple[int, int]] = None) -> None:
        self.net, self.size = net.eval(), (tuple(size) if size else None)

    @torch.inference_mode()
    def __call__(self, image: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        img, content = _fit(image.float(), self.size, _PAD)
        pri, _ = _fit(prior.float(), self.size, ABSENT_LOGIT)
        dev = next(self.net.parameters()).device
        out = binary_logits(self.net(img.to(dev), pri.to(dev)).float().cpu(), prior.shape[1])
        return _unfit(out, content, tuple(image.shape[-2:]))


class OnnxRefiner:
    """An exported refiner run by onnxruntime (CPU); ``channels``: the objects tracked from the start.

    An export for C >= ``channels`` objects is accepted: while the stream tracks fewer than C objects
    (objects that start later), the missing prior channels are "absent" (``ABSENT_LOGIT``) and only
    the tracked objects' outputs are used; more than C objects is one ConfigError line. An export
    with a dynamic C takes any count."""

    def __init__(self, path: str | Path, channels: int, threads: Optional[int] = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"{self.path}: no such refiner .onnx; pass stream.refiner_onnx=<refiner.onnx> or null")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise ConfigError(f"{self.path}: not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        self.channels = int(channels)
        self.size = self._check()

    def _check(self) -> tuple[int, int]:
        """Checks the export against ``self.channels`` objects; sets it to the export's channel count
        (None when the export's C is dynamic); returns its static (H, W)."""
        ins = {i.name: i.shape for i in self.session.get_inputs()}
        outs = [o.shape for o in self.session.get_outputs()]
        want = (f"inputs image (1, 3, H, W) and prior (1, C, H, W) with C >= {self.channels}, "
                "output (1, C[+1], H, W)")
        img, pri = ins.get("image"), ins.get("prior")
        ok = img is not None and pri is not None and len(img) == 4 and len(pri) == 4 and len(outs) >= 1
        ok = ok and all(isinstance(d, int) for d in (*img[1:], *pri[2:])) and img[1] == 3
        ok = ok and tuple(img[2:]) == tuple(pri[2:])
        c = pri[1] if ok and isinstance(pri[1], int) else None
        ok = ok and (c is None or c >= self.channels)
        out = outs[0] if outs else None
        ok = ok and out is not None and len(out) == 4 and (c is None or out[1] in (c, c + 1))
        if not ok:
            got = f"inputs {ins}, outputs {outs}"
            raise ConfigError(f"{self.path}: refiner ONNX has {got}; expected {want} (export it for "
                              f"{self.channels} or more object channel(s) with sam2_video.refiner.export)")
        self.channels = c
        return int(img[2]), int(img[3])

    def __call__(self, image: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        n = prior.shape[1]
        c = n if self.channels is None else self.channels
        if n > c:
            raise ConfigError(f"{self.path}: refiner exported for {c} object channel(s), the stream tracks {n}; "
                              "export it for the largest number of objects the stream will track")
        img, content = _fit(image.float().cpu(), self.size, _PAD)
        pri, _ = _fit(prior.float().cpu(), self.size, ABSENT_LOGIT)
        if n < c:  # objects that have not started yet: absent channels after the tracked ones
            pri = torch.cat([pri, torch.full((1, c - n, *pri.shape[-2:]), ABSENT_LOGIT)], dim=1)
        (out, *_) = self.session.run(None, {"image": img.numpy().astype(np.float32),
                                            "prior": pri.numpy().astype(np.float32)})
        logits = binary_logits(torch.from_numpy(out), c)[:, :n]
        return _unfit(logits, content, tuple(image.shape[-2:]))
