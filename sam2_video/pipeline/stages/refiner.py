"""The refiner stage: SAM2's logits + the frame -> refined logits, exactly as the refiner was trained.

The refiner (``sam2_video.refiner``, seed 004) is a class-map model: inputs ``image`` (1, 3, H, W) RGB
in [0, 1] and ``prior`` (1, C, H, W) per-class SAM2 logits at its fixed (H, W); output (1, C + 1, H, W)
class logits, background first. This module is the ONE place both sides of that contract live:

- preprocessing: :class:`~sam2_video.pipeline.letterbox.Letterbox` (the same area filter and padding
  as training), the prior of class c = the highest logit of the objects of that class, clipped to
  ``[-clip, clip]``, ``absent_logit`` for classes with no object and for the padding (as the offline
  priors are written);
- decoding: :func:`class_map` (argmax over the C + 1 channels, what the refiner's validation scores)
  and :func:`class_margins` (per class ``logit_c - max_{k != c} logit_k``: > 0 exactly where the
  argmax is c), which the stage returns as each object's logits, so the chain's threshold at 0.5
  reproduces the argmax decoding.

Backends: :class:`TorchRefiner` (an ``nn.Module``) and :class:`OnnxRefiner` (an export run by
onnxruntime); both are called on numpy / torch tensors of the same shapes and give equal masks.
An object's class: its category (the planner's, default its id) mapped by ``class_of`` (category id ->
class 1..C, the training's rule: sorted category ids; default the category id itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from sam2_video.errors import ConfigError
from sam2_video.pipeline.letterbox import Letterbox

Net = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (1, 3, H, W), (1, C, H, W) float32 -> (1, C + 1, H, W)


def class_map(class_logits: torch.Tensor) -> torch.Tensor:
    """(B, C + 1, H, W) background-first class logits -> (B, H, W) int64 classes (0 = background)."""
    return class_logits.argmax(1)


def class_margins(class_logits: torch.Tensor) -> torch.Tensor:
    """(B, C + 1, H, W) -> (B, C, H, W): ``logit_c - max_{k != c} logit_k`` for c = 1..C (> 0 where
    :func:`class_map` is c)."""
    x = class_logits.float()
    top2 = x.topk(2, dim=1).values  # (B, 2, H, W)
    best, second = top2[:, :1], top2[:, 1:2]
    other = torch.where(x == best, second, best)  # the best of the other channels
    return (x - other)[:, 1:]


class Refiner:
    """The stage: ``refiner(image, logits, object_ids) -> logits`` (see module doc).

    ``net``: the backend; ``resolution``: its (H, W); ``num_classes``: C; ``class_of``: category id ->
    class 1..C (default: the category id itself); ``clip`` / ``absent_logit``: the prior's, as trained.
    """

    def __init__(self, net: Net, resolution: Sequence[int], num_classes: int, class_of: Optional[Mapping[int, int]] = None,
                 clip: float = 20.0, absent_logit: float = -20.0, name: str = "refiner") -> None:
        self.net, self.hw, self.num_classes = net, (int(resolution[0]), int(resolution[1])), int(num_classes)
        self.class_of, self.clip, self.absent_logit, self.name = dict(class_of or {}), float(clip), float(absent_logit), name

    def classes(self, object_ids: Sequence[int], categories: Optional[Mapping[int, int]] = None) -> list[int]:
        cats = [int((categories or {}).get(int(o), o)) for o in object_ids]
        out = [int(self.class_of.get(c, c)) for c in cats]
        bad = [(o, c) for o, c in zip(object_ids, out) if not 1 <= c <= self.num_classes]
        if bad:
            raise ConfigError(f"{self.name}: object {bad[0][0]} is class {bad[0][1]}, the refiner knows classes "
                              f"1..{self.num_classes}; give the object's category in the prompts file "
                              "(\"categories\") or train the refiner on this dataset's categories")
        return out

    @torch.inference_mode()
    def __call__(self, image: np.ndarray, logits: torch.Tensor, object_ids: Sequence[int],
                 categories: Optional[Mapping[int, int]] = None) -> torch.Tensor:
        """``image`` (H, W, 3) uint8 RGB, ``logits`` (O, H, W) float, ``categories`` object id -> category
        id -> (O, H, W) float32 refined logits."""
        if not len(object_ids):
            return logits
        classes = self.classes(object_ids, categories)
        box = Letterbox.fit(image.shape[:2], self.hw)
        small = F.interpolate(logits.float().cpu()[None], size=(box.new_h, box.new_w), mode="bilinear",
                              align_corners=False)[0].clamp(-self.clip, self.clip)  # (O, h, w)
        content = torch.full((self.num_classes, box.new_h, box.new_w), self.absent_logit)
        for i, c in enumerate(classes):
            content[c - 1] = torch.maximum(content[c - 1], small[i])
        prior = box.place(content.numpy(), self.absent_logit)[None]  # (1, C, H, W)
        img = box.image(image).transpose(2, 0, 1)[None].astype(np.float32) / 255.0  # (1, 3, H, W)
        out = torch.from_numpy(np.asarray(self.net(np.ascontiguousarray(img), prior), dtype=np.float32))
        if out.shape[1] != self.num_classes + 1:
            raise ConfigError(f"{self.name}: refiner output has {out.shape[1]} channels, expected "
                              f"{self.num_classes + 1} (background + {self.num_classes} classes)")
        margins = class_margins(out)[0, :, : box.new_h, : box.new_w]  # (C, h, w)
        per_object = margins[[c - 1 for c in classes]][None]
        return F.interpolate(per_object, size=image.shape[:2], mode="bilinear", align_corners=False)[0]


def torch_backend(net: torch.nn.Module) -> Net:
    """An ``nn.Module`` refiner (eval mode, on its own device) as a backend."""
    net = net.eval()
    dev = next(net.parameters()).device

    def run(image: np.ndarray, prior: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return net(torch.from_numpy(image).to(dev), torch.from_numpy(prior).to(dev)).float().cpu().numpy()

    return run


def onnx_backend(path: str | Path, key: str, threads: Optional[int] = None) -> tuple[Net, tuple[int, int], int]:
    """An exported refiner run by onnxruntime (CPU): (backend, its static (H, W), its class count C).
    ``key``: the config key that named the file (for error messages)."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{key}={path}: no such refiner .onnx; export one with sam2_video.refiner.export or set null")
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = int(threads)
    try:
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        raise ConfigError(f"{key}={path}: not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
    ins = {i.name: i.shape for i in session.get_inputs()}
    img, pri = ins.get("image"), ins.get("prior")
    ok = img is not None and pri is not None and len(img) == 4 and len(pri) == 4
    ok = ok and all(isinstance(d, int) for d in (*img[1:], *pri[1:])) and img[1] == 3 and tuple(img[2:]) == tuple(pri[2:])
    if not ok:
        raise ConfigError(f"{key}={path}: refiner ONNX has inputs {ins}; expected image (1, 3, H, W) and prior "
                          "(1, C, H, W) with static C, H, W (export it with sam2_video.refiner.export)")

    def run(image: np.ndarray, prior: np.ndarray) -> np.ndarray:
        return session.run(None, {"image": image.astype(np.float32), "prior": prior.astype(np.float32)})[0]

    return run, (int(img[2]), int(img[3])), int(pri[1])
