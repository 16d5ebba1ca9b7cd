"""Which frames are scored (semi-supervised VOS protocol) and how per-frame scores are pooled.

Protocol (DAVIS 2017 / SAM2 evaluator), ``skip_first_last=True`` (default): an object is scored
on frames ``t`` with ``first_prompt < t < T - 1`` that are not one of its prompt frames
(re-prompted frames are given, not predicted). With ``skip_first_last=False`` every frame of the
video is scored. Class-level (EndoVis) metrics score a frame unless it is the last one or a
prompt frame of any object (again: everything when the switch is off).

Pooling: per object, the mean over its scored frames; J&F = (mean over objects of J + mean over
objects of F) / 2, objects pooled over all videos (per category / per video: over the objects of
that category / video). Objects without any scored frame (e.g. a 2-frame video) are NaN and are
left out of the means. All accumulators are vectorised over a leading threshold axis (K=1 for a
plain evaluation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from sam2_video.metrics.metric_names import OBJECT_METRICS


def object_frame_scored(t: int, num_frames: int, first_prompt: int, prompt_frames: Iterable[int],
                        skip_first_last: bool = True) -> bool:
    """Whether frame ``t`` counts for an object first prompted on ``first_prompt``."""
    if not skip_first_last:
        return True
    return first_prompt < t < num_frames - 1 and t not in set(prompt_frames)


def class_frame_scored(t: int, num_frames: int, any_prompt_frames: Iterable[int],
                       skip_first_last: bool = True) -> bool:
    """Whether frame ``t`` counts for the class-level (EndoVis) metrics."""
    if not skip_first_last:
        return True
    return t < num_frames - 1 and t not in set(any_prompt_frames)


def _nanmean(x: np.ndarray, axis: int = 0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.count_nonzero(~np.isnan(x), axis=axis)
    s = np.nansum(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


@dataclass
class ObjectAccumulator:
    """Running sums of one object's per-frame scores, each (K,) over K thresholds."""

    video_id: str
    object_id: int
    category_id: int
    num_thresholds: int = 1
    n: int = 0
    sums: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("J", "F", "J_hit", "F_hit", "dice", "iou", "iou_n"):
            self.sums[name] = np.zeros(self.num_thresholds)

    def add(self, j: np.ndarray, f: np.ndarray, dice: np.ndarray, iou: np.ndarray) -> None:
        """Add one scored frame; each argument (K,) or scalar. ``iou`` NaN = not counted."""
        j, f, d, i = (np.broadcast_to(np.asarray(v, dtype=np.float64), (self.num_thresholds,)) for v in (j, f, dice, iou))
        s = self.sums
        s["J"] += j
        s["F"] += f
        s["J_hit"] += j > 0.5
        s["F_hit"] += f > 0.5
        s["dice"] += d
        s["iou"] += np.nan_to_num(i)
        s["iou_n"] += ~np.isnan(i)
        self.n += 1

    def result(self) -> dict[str, np.ndarray]:
        """Per-object means, metric name -> (K,) (NaN when no frame was scored)."""
        s = self.sums
        with np.errstate(invalid="ignore", divide="ignore"):
            n = self.n if self.n else math.nan
            out = {"J": s["J"] / n, "F": s["F"] / n, "J_recall": s["J_hit"] / n, "F_recall": s["F_hit"] / n,
                   "dice": s["dice"] / n, "iou": np.where(s["iou_n"] > 0, s["iou"] / np.maximum(s["iou_n"], 1), np.nan)}
        out["JF"] = (out["J"] + out["F"]) / 2
        return out


def pool_objects(results: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Mean over objects of each metric (NaN objects left out); J&F from the pooled J and F."""
    if not results:
        return {}
    out = {name: _nanmean(np.stack([r[name] for r in results]), axis=0) for name in OBJECT_METRICS}
    out["JF"] = (out["J"] + out["F"]) / 2
    return out


def group_pool(objects: Sequence[ObjectAccumulator], key: str) -> dict[object, dict[str, np.ndarray]]:
    """Pool objects grouped by ``key`` (``video_id`` or ``category_id``), sorted by key."""
    groups: dict[object, list[dict[str, np.ndarray]]] = {}
    for o in objects:
        groups.setdefault(getattr(o, key), []).append(o.result())
    return {k: pool_objects(v) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))}


def at(metrics: dict[str, np.ndarray], k: int = 0) -> dict[str, float]:
    """Select threshold ``k``: metric name -> Python float (NaN kept)."""
    return {name: float(v[k]) for name, v in metrics.items()}


class VideoAccumulator:
    """Per-object and class-level accumulators of one video (a `runner.VideoPlan`), K thresholds."""

    def __init__(self, plan, num_classes: int, num_thresholds: int = 1, skip_first_last: bool = True) -> None:
        from sam2_video.metrics.endovis_metrics import EndoVisAccumulator

        self.plan = plan
        self.skip_first_last = skip_first_last
        self.objects = [ObjectAccumulator(plan.video_id, tid, int(c), num_thresholds)
                        for tid, c in zip(plan.track_ids, plan.category_ids)]
        self.endovis = EndoVisAccumulator(num_classes, num_thresholds)
        self._any_prompts = plan.any_prompt_frames

    def add(self, t: int, fs) -> list[bool]:
        """Add frame ``t``'s `scoring.FrameScores`; returns whether each object was scored."""
        p = self.plan
        flags = []
        for i, tid in enumerate(p.track_ids):
            ok = object_frame_scored(t, p.num_frames, p.first_frame[tid], p.prompt_frames[tid], self.skip_first_last)
            if ok:
                self.objects[i].add(fs.j[i], fs.f[i], fs.dice[i], fs.iou[i])
            flags.append(ok)
        if class_frame_scored(t, p.num_frames, self._any_prompts, self.skip_first_last):
            self.endovis.add(fs.class_inter, fs.class_pred, fs.class_gt)
        return flags
