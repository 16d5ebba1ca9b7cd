"""Wall-clock time of training vs validation, per epoch (``callbacks.phase_times``).

``PhaseTimes`` logs one line per epoch ("epoch 2: training 61.3 s (180 steps, 0.341 s/step),
validation 3.9 s = 6.4 % of the training time") and writes every epoch's numbers to ``path`` (JSON,
atomically) so that a benchmark can read them: validation time includes its loader, metrics and the
validation pictures; a validation outside an epoch (``validate_before_training``) is listed apart.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import lightning as L
from loguru import logger

from sam2_video.atomic import write_json


class PhaseTimes(L.Callback):
    """Time each epoch's training and validation (see the module doc); ``path`` None: log only."""

    def __init__(self, path: Optional[str | Path] = None) -> None:
        self.path = Path(path) if path else None
        self.epochs: list[dict] = []
        self.outside: list[float] = []  # validations outside a training epoch, seconds
        self._epoch_start: Optional[float] = None
        self._val_start: Optional[float] = None
        self._val_seconds = 0.0
        self._steps_at_start = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start, self._val_seconds = time.perf_counter(), 0.0
        self._steps_at_start = int(trainer.global_step)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._val_start = time.perf_counter()

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._val_start is None or trainer.sanity_checking:
            return
        seconds = time.perf_counter() - self._val_start
        self._val_start = None
        if trainer.state.fn == "fit" and self._epoch_start is not None:
            self._val_seconds += seconds
        else:
            self.outside.append(round(seconds, 3))
            logger.info(f"validation outside training: {seconds:.1f} s")
            self._write()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._epoch_start is None:
            return
        total = time.perf_counter() - self._epoch_start
        train_s, steps = total - self._val_seconds, int(trainer.global_step) - self._steps_at_start
        row = {"epoch": int(trainer.current_epoch), "steps": steps, "train_s": round(train_s, 3),
               "val_s": round(self._val_seconds, 3), "val_share": round(self._val_seconds / max(train_s, 1e-9), 4)}
        self.epochs.append(row)
        self._epoch_start = None
        logger.info(f"epoch {row['epoch']}: training {train_s:.1f} s ({steps} steps, {train_s / max(steps, 1):.3f} s/step), "
                    f"validation {self._val_seconds:.1f} s = {100 * row['val_share']:.1f} % of the training time")
        self._write()

    def _write(self) -> None:
        if self.path is not None:
            write_json(self.path, {"epochs": self.epochs, "validation_outside_training_s": self.outside})
