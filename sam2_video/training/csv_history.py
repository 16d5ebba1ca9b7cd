"""CSV metrics logger that keeps a run's history across a resume.

Lightning's ``CSVLogger`` deletes ``metrics.csv`` when its folder is reused, so a run resumed with
``ckpt_path`` lost every row before the resume step. ``HistoryCSVLogger`` keeps the old rows up to
the first step the resumed run logs (rows a killed run logged after its checkpoint are dropped:
the resumed run logs those steps again).
"""

from __future__ import annotations

import csv
import os
from typing import Optional

from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment

from sam2_video.atomic import atomic_path


class HistoryWriter(ExperimentWriter):
    """``ExperimentWriter`` that merges the rows of an existing ``metrics.csv`` on its first save."""

    def _check_log_dir_exists(self) -> None:
        self._previous: Optional[list[dict]] = None
        if os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                self._previous = list(reader)
                self.metrics_keys = sorted(reader.fieldnames or [])

    def save(self) -> None:
        if self._previous is not None and self.metrics:
            first = min(int(m["step"]) for m in self.metrics)
            kept = [r for r in self._previous if r.get("step") not in (None, "") and int(float(r["step"])) < first]
            self.metrics_keys = sorted(set(self.metrics_keys).union(*self.metrics))
            with atomic_path(self.metrics_file_path, suffix=".tmp") as tmp:
                with open(tmp, "w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=self.metrics_keys)
                    writer.writeheader()
                    writer.writerows(kept)
            self._previous = None
        super().save()


class HistoryCSVLogger(CSVLogger):
    """``CSVLogger`` writing through ``HistoryWriter`` (history kept on resume)."""

    @property
    @rank_zero_experiment
    def experiment(self) -> HistoryWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = HistoryWriter(log_dir=self.log_dir)
        return self._experiment
