"""The evaluation's metric names, defined once (summary.json, tables, threshold search, reports).

- Object metrics (:data:`OBJECT_METRICS`): per object the mean over its scored frames, then the
  mean over objects (``sam2_video.metrics.aggregate``): J&F, J (region IoU), F (boundary F),
  J / F recall (fraction of frames > 0.5), Dice and IoU (IoU: frames where both masks are empty
  are left out).
- Class metrics (:data:`CLASS_METRICS`): EndoVis instrument-type metrics over classes 1..K
  (``sam2_video.metrics.endovis_metrics``), named here after the accumulator's keys.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

OBJECT_METRICS = ("JF", "J", "F", "J_recall", "F_recall", "dice", "iou")
# our name -> EndoVisAccumulator.result() key
_CLASS_KEYS = {"challenge_iou": "challenge_iou", "endovis_iou": "iou", "mciou": "mciou",
               "ternaus_dice": "dice", "ternaus_jaccard": "jaccard"}
CLASS_METRICS = tuple(_CLASS_KEYS)
VIDEO_CLASS_METRICS = ("challenge_iou", "endovis_iou", "mciou")  # the class metrics of per-video rows
REPORT_METRICS = OBJECT_METRICS + CLASS_METRICS[:4]  # report.md's overall table
METRICS = OBJECT_METRICS + CLASS_METRICS


def class_metrics(endovis_result: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:data:`CLASS_METRICS` of an ``EndoVisAccumulator.result()`` (each (K,) over thresholds)."""
    return {name: endovis_result[key] for name, key in _CLASS_KEYS.items()}
