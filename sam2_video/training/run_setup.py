"""Run plumbing for ``train(cfg)``: Loguru sinks, callbacks, loggers, trainer, resume path."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import lightning as L
from lightning.fabric.utilities.exceptions import MisconfigurationException
from loguru import logger
from omegaconf import DictConfig

from sam2_video.cli import setup_console
from sam2_video.config import build, hydra_error_line
from sam2_video.errors import ConfigError
from sam2_video.model.checkpoint import load_file
from sam2_video.model.stored_config import check_resume_settings, model_settings
from sam2_video.training.checkpointing import ModelSettingsInCheckpoint, WeightsOnlyCheckpointIO


class DeferredFileSink:
    """A Loguru sink that holds messages until ``open(path)``: a refused run writes no log file."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.fh = None

    def write(self, message: str) -> None:
        if self.fh is None:
            self.pending.append(str(message))
        else:
            self.fh.write(str(message))
            self.fh.flush()

    def open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by loguru's remove()
        self.fh.write("".join(self.pending))
        self.fh.flush()
        self.pending = []

    def stop(self) -> None:
        if self.fh is not None:
            self.fh.close()


def setup_logging(level: str = "INFO") -> DeferredFileSink:
    """Console sink + a DEBUG file sink that starts writing once the run folder is committed."""
    setup_console(level)
    sink = DeferredFileSink()
    logger.add(sink, level="DEBUG", format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}")
    return sink


def build_callbacks(cfg: DictConfig, have_logger: bool = True) -> list:
    """Every node of ``cfg.callbacks`` with a ``_target_`` (LR monitor only with a logger), plus
    the callback that stores the model settings in each checkpoint."""
    nodes = [n for n in cfg.callbacks.values() if isinstance(n, DictConfig) and "_target_" in n]
    if not have_logger:
        nodes = [n for n in nodes if not str(n._target_).endswith("LearningRateMonitor")]
    return [*(build(node) for node in nodes), ModelSettingsInCheckpoint(model_settings(cfg.model))]


def build_loggers(cfg: DictConfig) -> list:
    """Instantiate ``cfg.logger`` entries; ``+wandb=null`` removes a W&B logger without importing it."""
    nodes = dict(cfg.logger or {})
    if "wandb" in cfg and cfg.wandb is None:
        nodes.pop("wandb", None)
    if "wandb" in nodes and nodes["wandb"].get("offline"):
        import os

        os.environ.setdefault("WANDB_MODE", "offline")
    return [build(node) for node in nodes.values() if isinstance(node, DictConfig) and "_target_" in node]


def build_trainer(cfg: DictConfig, callbacks: list, loggers: list) -> L.Trainer:
    """``cfg.trainer`` with weights-only checkpoint IO; Lightning's refusals become one ConfigError line."""
    try:
        return build(cfg.trainer, callbacks=callbacks, logger=loggers or False, plugins=[WeightsOnlyCheckpointIO()])
    except (MisconfigurationException, ValueError, TypeError, ImportError, RuntimeError) as exc:
        raise ConfigError(f"trainer: {hydra_error_line(exc)}; check the trainer.* values (configs/trainer/)") from None
    except Exception as exc:  # hydra's InstantiationException around one of the above
        cause = exc.__cause__
        if isinstance(cause, (MisconfigurationException, ValueError, TypeError, ImportError, RuntimeError)):
            raise ConfigError(f"trainer: {hydra_error_line(cause)}; check the trainer.* values") from None
        raise


def resolve_ckpt_path(ckpt_path: Optional[str], output_dir: Path, cfg: Optional[DictConfig] = None) -> Optional[str]:
    """``None`` = fresh run, ``auto`` = ``<output_dir>/checkpoints/last.ckpt`` if present, else the path.

    With ``cfg``, the checkpoint is read (weights-only) and its stored model settings must match.
    """
    if ckpt_path is None:
        return None
    if ckpt_path == "auto":
        last = output_dir / "checkpoints" / "last.ckpt"
        if not last.exists():
            return None
        ckpt_path = str(last)
    elif not Path(ckpt_path).is_file():
        raise ConfigError(f"ckpt_path={ckpt_path}: file not found; pass a .ckpt from <run>/checkpoints or ckpt_path=auto")
    if cfg is not None:
        ckpt = load_file(ckpt_path, key="ckpt_path")
        if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "loops" not in ckpt:
            raise ConfigError(f"ckpt_path={ckpt_path}: not a Lightning training checkpoint (no state_dict / loops); "
                              "to start from weights use model.checkpoint_path=... instead")
        check_resume_settings(cfg, ckpt, ckpt_path)
    return str(ckpt_path)
