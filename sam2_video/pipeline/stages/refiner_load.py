"""The refiner stage of a run from config: ``stream.refiner_onnx`` (onnxruntime) or
``stream.refiner_checkpoint`` (a train_refiner.py ``.ckpt`` / state dict with ``cfg.refiner.net``).

The class count C comes from the export / the checkpoint itself; an object's class (1..C) from
``class_of`` (the planner's categories ranked like the refiner's training: sorted category ids).
Errors name the key the user set.
"""

from __future__ import annotations

from typing import Mapping, Optional

import torch
from omegaconf import DictConfig, OmegaConf

from sam2_video.config import build
from sam2_video.errors import CheckpointError, ConfigError, UserError
from sam2_video.model.checkpoint import load_file
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.stages.refiner import Refiner, onnx_backend, torch_backend


def _state_dict(path: str, key: str) -> dict[str, torch.Tensor]:
    try:
        obj = load_file(path)
    except UserError as exc:
        raise CheckpointError(f"{key}={path}: {str(exc).split(': ', 1)[-1]}") from None
    sd = obj.get("state_dict", obj) if isinstance(obj, Mapping) else None
    if not isinstance(sd, Mapping) or not any(str(k).endswith("classifier.weight") for k in sd):
        raise CheckpointError(f"{key}={path}: not a refiner checkpoint (no classifier weights); pass the "
                              "checkpoints/best.ckpt of a train_refiner.py run")
    prefix = next(str(k) for k in sd if str(k).endswith("classifier.weight"))[: -len("classifier.weight")]
    return {str(k)[len(prefix):]: v for k, v in sd.items() if str(k).startswith(prefix)}


def load_torch_net(cfg: DictConfig, path: str, key: str) -> torch.nn.Module:
    """``cfg.refiner.net`` with the checkpoint's class count, its weights loaded (strict)."""
    node = cfg.get("refiner")
    if node is None or node.get("net") is None:
        raise ConfigError(f"{key} needs the refiner config group; add refiner=default "
                          "(or export the refiner and pass stream.refiner_onnx=<refiner.onnx>)")
    state = _state_dict(path, key)
    num_classes = int(state["classifier.weight"].shape[0]) - 1
    net = build(node.net, num_classes=num_classes)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        why = next((ln.strip() for ln in str(exc).splitlines() if ln.strip() and "Error" not in ln), "mismatch")
        raise CheckpointError(f"{key}={path}: does not fit refiner.net ({why[:160]}); use the refiner config "
                              "the checkpoint was trained with") from None
    return net


def build_refiner(cfg: DictConfig, settings: StreamSettings, class_of: Optional[Mapping[int, int]] = None,
                  node: str = "stream") -> Optional[Refiner]:
    """The refiner stage the settings ask for (None: no refiner)."""
    prior = OmegaConf.select(cfg, "refiner.prior") or {}
    kw = dict(class_of=class_of, clip=float(prior.get("clip", 20.0)),
              absent_logit=float(prior.get("absent_logit", -20.0)))
    if settings.refiner_onnx:
        key = f"{node}.refiner_onnx"
        net, hw, classes = onnx_backend(settings.refiner_onnx, key)
        return Refiner(net, hw, classes, name=f"{key}={settings.refiner_onnx}", **kw)
    if settings.refiner_checkpoint:
        key = f"{node}.refiner_checkpoint"
        net = load_torch_net(cfg, settings.refiner_checkpoint, key)
        hw = tuple(int(v) for v in OmegaConf.select(cfg, "refiner.resolution"))
        return Refiner(torch_backend(net), hw, net.num_classes, name=f"{key}={settings.refiner_checkpoint}", **kw)
    return None
