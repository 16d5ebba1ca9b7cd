"""Checks against this machine, before a run starts: requested devices exist, CPU memory suffices
(estimate: memory.py; refused above the available memory unless ``++allow_high_memory=true``)."""

from __future__ import annotations

import os
from typing import Callable, Optional

import torch
from loguru import logger
from omegaconf import DictConfig

from sam2_video.validation.checks import bad, value_at
from sam2_video.validation.memory import Footprint, describe, eval_bytes, eval_parts, training_bytes, training_parts

AVAILABLE_ENV = "SAM2_VIDEO_AVAILABLE_MEMORY"  # e.g. 8G: the memory the checks assume (tests, shared machines)
OVERRIDE_KEY = "allow_high_memory"             # ++allow_high_memory=true: run although the estimate exceeds it


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


def evaluates_on_cpu(cfg: DictConfig) -> bool:
    device = value_at(cfg, "eval.device")
    return device == "cpu" or (device == "auto" and _cuda_count() == 0)


def available_memory_bytes() -> float:
    """Memory this run may use: ``$SAM2_VIDEO_AVAILABLE_MEMORY`` (bytes, or e.g. ``8G``) if set, else what
    the OS reports as available (psutil); unknown: infinity (nothing refused)."""
    forced = os.environ.get(AVAILABLE_ENV, "").strip()
    if forced:
        units = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
        unit = units.get(forced[-1].upper(), 1.0)
        return float(forced[:-1] if forced[-1].upper() in units else forced) * unit
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - unknown: no refusal
        return float("inf")


def _footprint(cfg: DictConfig) -> Optional[Footprint]:
    return Footprint.from_values(lambda key: value_at(cfg, key))


def cpu_training_bytes(cfg: DictConfig) -> float:
    """Estimated peak memory of CPU training for ``cfg`` (0 when the config lacks the numbers)."""
    fp = _footprint(cfg)
    return training_bytes(fp) if fp else 0.0


def cpu_eval_bytes(cfg: DictConfig) -> float:
    """Estimated peak memory of the evaluation of one video on the CPU (0 when unknown)."""
    fp = _footprint(cfg)
    return eval_bytes(fp) if fp else 0.0


def _largest_size(fp: Footprint, estimate: Callable[[Footprint], float], free: float) -> Optional[int]:
    return next((s for s in range(fp.image_size - 32, 127, -32) if estimate(fp.with_(image_size=s)) <= free), None)


def _fixes(fp: Footprint, estimate: Callable[[Footprint], float], free: float, training: bool) -> list[str]:
    """Overrides that bring the estimate under ``free``: checkpointing, a smaller image or clip, the debug model."""
    fits = []
    size = _largest_size(fp, estimate, free)
    if size:
        fits.append(f"model.image_size={size}")
    if training and not fp.checkpointing:
        ckpt = fp.with_(checkpointing=True)
        if estimate(ckpt) <= free:
            fits.append("model.activation_checkpointing=true")
        elif (size_ckpt := _largest_size(ckpt, estimate, free)) and size_ckpt > (size or 0):
            fits.append(f"model.activation_checkpointing=true model.image_size={size_ckpt}")
    if not training and fp.encode_batch > 1 and fp.encode_ahead and estimate(fp.with_(encode_ahead=False)) <= free:
        fits.append("eval.encode_thread=false")
    if not training and fp.encode_batch > 1 and estimate(fp.with_(encode_batch=1)) <= free:
        fits.append("eval.encode_batch=1")
    if training and fp.clip_length > 3 and estimate(fp.with_(clip_length=3)) <= free:
        clip = max(t for t in range(3, fp.clip_length) if estimate(fp.with_(clip_length=t)) <= free)
        fits.append(f"data.clip_length={clip}")
    fits.append("trainer=cpu sam2=debug" if training else "sam2=debug")
    return fits


def check_cpu_memory(cfg: DictConfig, training: bool, available: float | None = None) -> None:
    """ConfigError when a CPU run's estimated peak memory exceeds the available memory: one line with
    the estimate, what is free, the overrides that make it fit and ``++allow_high_memory=true``."""
    on_cpu = trains_on_cpu(cfg) if training else evaluates_on_cpu(cfg)
    fp = _footprint(cfg)
    if not on_cpu or fp is None or value_at(cfg, OVERRIDE_KEY) is True:
        return
    estimate = training_bytes if training else eval_bytes
    need = estimate(fp)
    free = available_memory_bytes() if available is None else available
    if need <= free:
        return
    what = "training" if training else "evaluation"
    shape = f"{fp.clip_length}-frame clips x batch {fp.batch_size}, " if training else ""
    parts = describe(training_parts(fp) if training else eval_parts(fp))
    raise bad("model.image_size", fp.image_size,
              f"CPU {what} of {fp.variant} needs about {need / 1e9:.1f} GB ({shape}{parts} GB; "
              f"sam2_video/validation/memory.py) but {free / 1e9:.1f} GB are available: use "
              f"{', or '.join(_fixes(fp, estimate, free, training))} (or a GPU); run anyway with "
              f"++{OVERRIDE_KEY}=true")


def warn_cpu_memory(cfg: DictConfig, available: float | None = None) -> bool:
    """Warn (before training) when CPU training likely needs most of the free memory; True if warned."""
    if not trains_on_cpu(cfg):
        return False
    need = cpu_training_bytes(cfg)
    free = available_memory_bytes() if available is None else available
    if need <= 0.7 * free:
        return False
    logger.warning(
        f"Training {value_at(cfg, 'model.variant')} at {value_at(cfg, 'model.image_size')} px on the CPU needs "
        f"roughly {need / 1e9:.1f} GB ({value_at(cfg, 'data.clip_length')}-frame clips x batch "
        f"{value_at(cfg, 'data.batch_size')}); {free / 1e9:.1f} GB are free, so the process may be killed for "
        "memory. Try experiment=demo or sam2=debug, a smaller model.image_size / data.clip_length, or trainer=gpu."
    )
    return True
