"""A PyTorch refiner for the stream from ``cfg.refiner`` (``sam2_video.refiner``) and a checkpoint."""

from __future__ import annotations

from omegaconf import DictConfig

from sam2_video.config import build
from sam2_video.errors import CheckpointError, ConfigError
from sam2_video.model.checkpoint import read_state_dict
from sam2_video.stream.refiner import TorchRefiner


def load_torch_refiner(cfg: DictConfig, checkpoint: str, channels: int) -> TorchRefiner:
    """``cfg.refiner.net`` with ``channels`` classes, weights from ``checkpoint`` (.ckpt of train_refiner.py)."""
    node = cfg.get("refiner")
    if node is None or node.get("net") is None:
        raise ConfigError("stream.refiner_checkpoint needs the refiner config group; add refiner=default "
                          "(or export the refiner and pass stream.refiner_onnx=<refiner.onnx>)")
    net = build(node.net, num_classes=int(channels))
    state = read_state_dict(checkpoint)
    why = ""
    try:
        result = net.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith("boundary")]
        unexpected = [k for k in result.unexpected_keys if not k.startswith("boundary")]
        if missing or unexpected:
            why = f"missing {missing[:3]}, unexpected {unexpected[:3]}"
    except RuntimeError as exc:  # shape mismatch
        why = next((ln.strip() for ln in str(exc).splitlines() if "size mismatch" in ln), "shape mismatch")
    if why:
        raise CheckpointError(f"{checkpoint}: not a refiner for {channels} object channel(s) with this "
                              f"refiner.net ({why}); train / export it for that many objects")
    return TorchRefiner(net, tuple(int(v) for v in node.resolution))
