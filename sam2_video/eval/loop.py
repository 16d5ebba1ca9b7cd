"""THE evaluation loop: every video of an index, every frame, scored at one or many thresholds,
handed to pluggable outputs. ``baseline_eval.py`` and ``grid_search_threshold.py`` both run it.

Per video: the :class:`~sam2_video.eval.runner.Planner` chooses the objects and their prompts, the
model streams predictions (:class:`~sam2_video.inference.propagate.VideoPropagator`), each frame's
logits are resized to the video, quantised at the sorted thresholds and scored against the GT
(:class:`~sam2_video.metrics.scoring.ThresholdScorer`), the metric accumulators are updated and every
output sees a :class:`FrameResult`. Outputs (``sam2_video.eval.outputs``) stream their files to
temporary siblings: ``commit`` on success, ``abort`` on failure, so a failed run leaves nothing partial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from sam2_video.data.index import VideoIndex, VideoRecord
from sam2_video.errors import ConfigError
from sam2_video.metrics.aggregate import ObjectAccumulator, VideoAccumulator
from sam2_video.metrics.endovis_metrics import EndoVisAccumulator
from sam2_video.eval.runner import Planner, VideoPlan
from sam2_video.metrics.scoring import FrameScores, ThresholdScorer
from sam2_video.eval.settings import EvalSettings
from sam2_video.pipeline.sinks.staged import label_map, palette_values
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.propagate import VideoPropagator


@dataclass
class VideoContext:
    """One video being evaluated."""

    record: VideoRecord
    plan: VideoPlan
    geometry: FrameGeometry
    categories: dict[int, str]  # category id -> name (the index's)
    label_values: list[int]  # PNG label value of each object of the plan

    @property
    def video_id(self) -> str:
        return self.record.video_id


@dataclass
class FrameResult:
    """One frame's predictions and scores for the O objects of the plan, K thresholds."""

    video: VideoContext
    frame: int
    gt: np.ndarray  # (O, H, W) bool
    levels: np.ndarray  # (O, H, W) uint8: object i is predicted at threshold k where levels[i] > k
    scores: FrameScores
    scored: list[bool]  # (O,) whether each object's frame counts in the metrics
    prompted: set[int]  # track ids prompted on this frame
    active: np.ndarray  # (O,) bool: objects already tracked (started)
    low_res: Optional[torch.Tensor]  # (A, 1, h, w) float32 logits of the active objects

    def masks(self, k: int = 0) -> np.ndarray:
        """(O, H, W) bool predictions at threshold ``k``."""
        return self.levels > k

    @cached_property
    def labels(self) -> np.ndarray:
        """(H, W) uint8 label map at the first threshold (values: ``video.label_values``)."""
        if not self.video.plan.track_ids:
            return np.zeros(self.gt.shape[1:], np.uint8)
        return label_map(self.masks(0), self.video.label_values)

    @property
    def frame_name(self) -> str:
        return self.video.plan.frame_name(self.video.record, self.frame)


class EvalOutput:
    """An output of the loop (all hooks optional). Files go to temporary siblings until ``commit``."""

    def start_video(self, video: VideoContext) -> None: ...

    def frame(self, result: FrameResult) -> None: ...

    def end_video(self, video: VideoContext) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


@dataclass
class LoopResult:
    """Metric accumulators of a whole run (K thresholds) and its timing."""

    thresholds: list[float]
    class_ids: list[int]
    objects: list[ObjectAccumulator] = field(default_factory=list)
    endovis: Optional[EndoVisAccumulator] = None
    endovis_per_video: dict[str, EndoVisAccumulator] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0


def videos_of(index: VideoIndex, settings: EvalSettings) -> list[VideoRecord]:
    """The evaluated videos (``eval.max_videos`` first ones); ConfigError if there are none."""
    videos = index.videos[: settings.max_videos] if settings.max_videos else index.videos
    if not videos:
        raise ConfigError(f"{index.source}: split '{settings.split}' has no videos to evaluate")
    return list(videos)


def run_loop(propagator: VideoPropagator, planner: Planner, index: VideoIndex, settings: EvalSettings,
             thresholds: Sequence[float], outputs: Sequence[EvalOutput] = (), resize_mode: str = "square",
             class_ids: Optional[Sequence[int]] = None) -> LoopResult:
    """Evaluate every video of ``index`` at the sorted ``thresholds``; outputs committed on success."""
    videos = videos_of(index, settings)
    thresholds = sorted(float(t) for t in thresholds)
    class_ids = sorted(c for c in index.categories if c != 0) if class_ids is None else list(class_ids)
    scorer = ThresholdScorer(thresholds, settings.non_overlap, settings.bound_th, class_ids)
    res = LoopResult(thresholds, class_ids, endovis=EndoVisAccumulator(len(class_ids), len(thresholds)))
    t0 = time.perf_counter()
    try:
        for record in tqdm(videos, desc="eval videos", unit="video"):
            _run_video(record, propagator, planner, index, settings, scorer, outputs, resize_mode, res)
        res.seconds = time.perf_counter() - t0
        for o in outputs:
            o.commit()
    except BaseException:
        for o in outputs:
            o.abort()
        raise
    return res


def _run_video(record: VideoRecord, propagator: VideoPropagator, planner: Planner, index: VideoIndex,
               settings: EvalSettings, scorer: ThresholdScorer, outputs: Sequence[EvalOutput], resize_mode: str,
               res: LoopResult) -> None:
    plan = planner.plan(record)
    gt = planner.gt(record, plan)
    geo = FrameGeometry(plan.height, plan.width, propagator.image_size, settings.geometry, resize_mode)
    video = VideoContext(record, plan, geo, dict(index.categories),
                         palette_values(plan.track_ids) if plan.track_ids else [])
    acc = VideoAccumulator(plan, len(res.class_ids), len(res.thresholds), settings.skip_first_last)
    for o in outputs:
        o.start_video(video)
    preds = planner.predict(propagator, record, plan, gt, geo)
    for pf in tqdm(preds, total=plan.num_frames, desc=record.video_id, unit="frame", leave=False):
        gt_t = gt(pf.frame)
        levels = np.zeros(gt_t.shape, dtype=np.uint8)  # (O, H, W)
        if pf.low_res is not None:
            levels[pf.active] = scorer.quantize(geo.logits(pf.low_res.to(propagator.device)))
        scores = scorer.score(levels, gt_t, plan.category_ids)
        result = FrameResult(video, pf.frame, gt_t, levels, scores, acc.add(pf.frame, scores), set(pf.prompted),
                             pf.active, pf.low_res)
        for o in outputs:
            o.frame(result)
        res.frames += 1
    for o in outputs:
        o.end_video(video)
    res.objects += acc.objects
    res.endovis_per_video[record.video_id] = acc.endovis
    res.endovis.merge(acc.endovis)
