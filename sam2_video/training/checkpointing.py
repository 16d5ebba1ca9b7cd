"""Checkpoints of a training run: what is saved, when, and how Lightning reads one back.

- ``RunCheckpoint``: ``best.ckpt`` by the monitored metric and ``last.ckpt`` after EVERY epoch
  (Lightning's ``save_last`` refreshes it only when "best" improves in this set-up), both only when
  the weights and the epoch's validation are finite; otherwise the run stops with
  ``TrainingDivergedError`` and the last good files stay.
- ``ModelSettingsInCheckpoint``: the resolved model settings go into every checkpoint
  (``sam2_video.model.stored_config``), so evaluation uses what the weights were trained with.
- ``WeightsOnlyCheckpointIO``: Lightning's loads (resume) use ``sam2_video.model.checkpoint.load_file``
  (weights-only); saves are atomic (temporary file + rename).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO
from loguru import logger

from sam2_video.atomic import atomic_path
from sam2_video.errors import TrainingDivergedError
from sam2_video.model.checkpoint import load_file
from sam2_video.model.stored_config import MODEL_CONFIG_KEY


def non_finite(trainer: L.Trainer, module: L.LightningModule) -> Optional[str]:
    """Why this state must not be saved (a non-finite validation metric or weight), else None."""
    for name, value in trainer.callback_metrics.items():
        if name.startswith("val/") and not math.isfinite(float(value)):
            return f"{name}={float(value)}"
    for name, p in module.named_parameters():
        if not torch.isfinite(p.detach()).all():
            return f"non-finite weights in {name}"
    return None


class RunCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose ``last.ckpt`` is always the latest finite state (see module doc)."""

    def _guarded(self, trainer: L.Trainer, module: L.LightningModule, hook: str) -> None:
        skip = self._should_skip_saving_checkpoint(trainer)
        on_this_hook = self._should_save_on_train_epoch_end(trainer) == (hook == "on_train_epoch_end")
        if not skip and on_this_hook:
            why = non_finite(trainer, module)
            if why is not None:
                raise TrainingDivergedError(
                    f"training diverged at epoch {trainer.current_epoch}, global step {trainer.global_step} ({why}); "
                    f"nothing saved for this epoch, the last good checkpoints stay in {self.dirpath}; "
                    "lower optim.lr or trainer.gradient_clip_val"
                )
        getattr(super(), hook)(trainer, module)
        if not skip and on_this_hook and self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._guarded(trainer, module, "on_train_epoch_end")

    def on_validation_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._guarded(trainer, module, "on_validation_end")


class ModelSettingsInCheckpoint(Callback):
    """Store the run's model settings (``model_settings(cfg.model)``) in every checkpoint."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)

    def on_save_checkpoint(self, trainer: L.Trainer, module: L.LightningModule, checkpoint: dict) -> None:
        checkpoint[MODEL_CONFIG_KEY] = self.settings


class WeightsOnlyCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint IO: weights-only loads through the project's loader, atomic saves."""

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict[str, Any]:
        return load_file(path, map_location=map_location or "cpu", key="ckpt_path")

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        with atomic_path(path, suffix=".tmp") as tmp:
            torch.save(checkpoint, tmp)
        logger.debug(f"saved {path}")
