"""Checks against this machine, before a run starts: requested devices exist, CPU memory suffices."""

from __future__ import annotations

import torch
from loguru import logger
from omegaconf import DictConfig

from sam2_video.validation.checks import bad, value_at

# Peak resident memory of one CPU training step, per input pixel of every frame of the batch, for a
# Hiera of embed_dim 96 (sam2.1_tiny): measured ~24 GB at 1024 px, 8-frame clips, batch 1 (OOM-killed).
CPU_BYTES_PER_PIXEL_FRAME = 24e9 / (1024 * 1024 * 8)


def _cuda_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_trainer_devices(cfg: DictConfig) -> None:
    """``trainer.accelerator`` / ``trainer.devices`` name hardware that this machine has."""
    acc, devices = value_at(cfg, "trainer.accelerator"), value_at(cfg, "trainer.devices")
    n_cuda = _cuda_count()
    if acc in ("gpu", "cuda"):
        if n_cuda == 0:
            raise bad("trainer.accelerator", acc, "no CUDA GPU is visible on this machine; use trainer=cpu "
                                                  "(or trainer.accelerator=cpu), or run where a GPU exists")
        wanted = len(devices) if isinstance(devices, list) else devices
        if isinstance(wanted, int) and wanted > n_cuda:
            raise bad("trainer.devices", devices, f"only {n_cuda} CUDA GPU(s) visible; use trainer.devices<={n_cuda}")
        if isinstance(devices, list) and max(devices) >= n_cuda:
            raise bad("trainer.devices", devices, f"GPU indices must be < {n_cuda} (CUDA_VISIBLE_DEVICES)")
    if acc == "mps" and not torch.backends.mps.is_available():
        raise bad("trainer.accelerator", acc, "Apple MPS is not available here; use trainer.accelerator=cpu or auto")
    if acc == "tpu":
        raise bad("trainer.accelerator", acc, "TPUs are not supported by this project; use gpu or cpu")


def check_eval_device(cfg: DictConfig) -> None:
    """``eval.device`` is auto, cpu, or a CUDA device this machine has."""
    device = value_at(cfg, "eval.device")
    if not isinstance(device, str) or device == "auto":
        return
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise bad("eval.device", device, "use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and (dev.index or 0) >= _cuda_count():
        raise bad("eval.device", device, f"{_cuda_count()} CUDA GPU(s) visible; use eval.device=cpu or auto")
    if dev.type not in ("cpu", "cuda"):
        raise bad("eval.device", device, "use auto, cpu, cuda or cuda:N")


def trains_on_cpu(cfg: DictConfig) -> bool:
    acc = value_at(cfg, "trainer.accelerator")
    return acc == "cpu" or (acc == "auto" and _cuda_count() == 0)


def cpu_training_bytes(cfg: DictConfig) -> float:
    """Rough peak memory of CPU training for ``cfg`` (scales with pixels x frames x batch x width)."""
    size = value_at(cfg, "model.image_size")
    frames = value_at(cfg, "data.clip_length")
    batch = value_at(cfg, "data.batch_size")
    width = value_at(cfg, "model.hiera.embed_dim")
    if not all(isinstance(v, int) for v in (size, frames, batch, width)):
        return 0.0
    return CPU_BYTES_PER_PIXEL_FRAME * size * size * frames * batch * width / 96


def available_memory_bytes() -> float:
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - unknown: no warning
        return float("inf")


def warn_cpu_memory(cfg: DictConfig, available: float | None = None) -> bool:
    """Warn (before training) when CPU training likely needs more memory than is free; True if warned."""
    if not trains_on_cpu(cfg):
        return False
    need = cpu_training_bytes(cfg)
    free = available_memory_bytes() if available is None else available
    if need <= 0.7 * free:
        return False
    logger.warning(
        f"Training {value_at(cfg, 'model.variant')} at {value_at(cfg, 'model.image_size')} px on the CPU needs "
        f"roughly {need / 1e9:.0f} GB ({value_at(cfg, 'data.clip_length')}-frame clips x batch "
        f"{value_at(cfg, 'data.batch_size')}); {free / 1e9:.0f} GB are free, so the process may be killed for "
        "memory. Try experiment=demo or sam2=debug, a smaller model.image_size / data.clip_length, or trainer=gpu."
    )
    return True
