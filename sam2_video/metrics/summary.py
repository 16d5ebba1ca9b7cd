"""The typed summary of an evaluation run: built from the loop's accumulators, written to and read
from ``summary.json`` (the one place that knows its layout).

Layout: ``overall`` (every name of :data:`~sam2_video.metrics.metric_names.METRICS` + ``num_objects``,
``num_videos``, ``num_class_frames``), ``per_video`` / ``per_category`` (object metrics + counts;
per video also the class IoUs), ``per_class_iou`` (category name -> IoU), ``per_object`` (one row per
object), ``settings`` (the ``eval`` node), ``prompt`` (the run's prompt specification,
:meth:`PromptSpec.record`), ``run`` (checkpoint, variant, data), ``timing``. NaN is written as null and
read back as NaN. Summaries written before the ``prompt`` section existed (``settings.prompt_type`` ...)
are read with their prompt moved to ``prompt``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from sam2_video.atomic import write_json
from sam2_video.errors import DatasetError
from sam2_video.metrics.aggregate import ObjectAccumulator, at, group_pool, pool_objects
from sam2_video.metrics.endovis_metrics import EndoVisAccumulator
from sam2_video.metrics.metric_names import METRICS, OBJECT_METRICS, VIDEO_CLASS_METRICS, class_metrics
from sam2_video.metrics.table_io import jsonable
from sam2_video.prompt import PromptSpec
from sam2_video.renamed_keys import RENAMED

SUMMARY_FILE = "summary.json"
_METRIC_SECTIONS = ("overall", "per_video", "per_category", "per_class_iou", "per_object")


def pooled_metrics(objects: Sequence[ObjectAccumulator], endovis: EndoVisAccumulator,
                   num_thresholds: int) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` over the whole run, name -> (K,) over the thresholds."""
    pooled = pool_objects([o.result() for o in objects]) if objects else {
        m: np.full(num_thresholds, math.nan) for m in OBJECT_METRICS}
    return {**pooled, **class_metrics(endovis.result())}


@dataclass
class EvalSummary:
    overall: dict[str, Any]
    per_video: dict[str, dict[str, Any]]
    per_category: dict[str, dict[str, Any]]
    per_class_iou: dict[str, float]
    per_object: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    prompt: dict[str, Any] = field(default_factory=dict)  # PromptSpec.record(): kind, num_pos_points, ...

    def __getitem__(self, key: str) -> Any:  # summary["overall"] reads like the JSON file
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    @classmethod
    def build(cls, objects: Sequence[ObjectAccumulator], endovis: EndoVisAccumulator,
              endovis_per_video: Mapping[str, EndoVisAccumulator], categories: Mapping[int, str],
              class_ids: Sequence[int], settings: Any, run_info: Optional[dict] = None,
              k: int = 0, prompt: Optional[PromptSpec] = None) -> "EvalSummary":
        """The summary at threshold ``k`` of the loop's accumulators (``settings``: a dataclass; ``prompt``:
        the run's prompt specification, recorded as the ``prompt`` section; None: not recorded)."""
        name = lambda c: categories.get(int(c), str(c))  # noqa: E731
        per_object = [{"video_id": o.video_id, "object_id": o.object_id, "category_id": o.category_id,
                       "category": name(o.category_id), "num_scored_frames": o.n, **at(o.result(), k)}
                      for o in objects]
        overall = at(pooled_metrics(objects, endovis, k + 1), k)
        overall.update(num_objects=len(objects), num_videos=len(endovis_per_video), num_class_frames=endovis.frames)
        per_video = {vid: at(m, k) for vid, m in group_pool(objects, "video_id").items()}
        for vid, acc in endovis_per_video.items():
            ev = at(class_metrics(acc.result()), k)
            per_video.setdefault(vid, {}).update({m: ev[m] for m in VIDEO_CLASS_METRICS},
                                                 num_objects=sum(o.video_id == vid for o in objects))
        per_category = {name(cid): {"category_id": int(cid), **at(m, k),
                                    "num_objects": sum(o.category_id == cid for o in objects)}
                        for cid, m in group_pool(objects, "category_id").items()}
        class_iou = endovis.per_class_iou()[k]
        return cls(overall, per_video, per_category, {name(c): float(v) for c, v in zip(class_ids, class_iou)},
                   per_object, asdict(settings), dict(run_info or {}),
                   prompt=prompt.record() if prompt is not None else {})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def write(self, out_dir: str | Path) -> Path:
        """``out_dir/summary.json`` (atomic; NaN as null)."""
        return write_json(Path(out_dir) / SUMMARY_FILE, jsonable(self.to_dict()))

    @classmethod
    def read(cls, path: str | Path) -> "EvalSummary":
        """A ``summary.json`` (or its folder); DatasetError naming the file if it is not one."""
        p = Path(path)
        p = p / SUMMARY_FILE if p.is_dir() else p
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
            missing = [f.name for f in fields(cls) if f.name in ("overall", "per_video") and f.name not in raw]
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{p}: not a readable summary.json ({exc}); rerun baseline_eval.py") from None
        if not isinstance(raw, dict) or missing:
            raise DatasetError(f"{p}: not an evaluation summary (missing {missing or 'an object'}); "
                               "rerun baseline_eval.py")
        known = {f.name for f in fields(cls)}
        raw = {k: (_nan(v) if k in _METRIC_SECTIONS else v) for k, v in raw.items() if k in known}
        raw.setdefault("per_category", {}), raw.setdefault("per_class_iou", {}), raw.setdefault("per_object", [])
        if "prompt" not in raw and isinstance(raw.get("settings"), dict):
            raw["prompt"] = _old_prompt(raw["settings"])
        return cls(**raw)

    def metric(self, name: str) -> float:
        """An overall metric by its name in :data:`METRICS` (NaN when absent)."""
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; one of {METRICS}")
        v = self.overall.get(name)
        return math.nan if v is None else float(v)


def _old_prompt(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``prompt`` section of a summary written when ``settings`` held ``prompt_type`` & co."""
    moved = {old[len("eval."):]: new[len("prompt."):] for old, new in RENAMED.items()
             if old.startswith("eval.") and new.startswith("prompt.")}
    return {moved[k]: v for k, v in settings.items() if k in moved}


def _nan(v: Any) -> Any:
    """JSON null inside metric tables -> NaN (the inverse of ``jsonable``)."""
    if isinstance(v, dict):
        return {k: (math.nan if x is None else _nan(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [_nan(x) for x in v]
    return v
