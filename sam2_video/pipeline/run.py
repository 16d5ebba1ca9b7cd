"""``run_videos``: every path (evaluation, threshold search, predict.py, the stream) is this function with
other parts. Per :class:`VideoJob` the chain turns frames into masks, the scorer scores them when there
is GT, and every sink sees a :class:`FrameResult`; sinks commit on success and abort on failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from sam2_video.errors import DatasetError
from sam2_video.metrics.aggregate import ObjectAccumulator, VideoAccumulator
from sam2_video.metrics.endovis_metrics import EndoVisAccumulator
from sam2_video.metrics.scoring import FrameScores, ThresholdScorer
from sam2_video.pipeline.chain import Chain, PipelineFrame, Prompts
from sam2_video.pipeline.planners.gt import VideoPlan
from sam2_video.pipeline.sinks.staged import label_map, palette_values
from sam2_video.pipeline.source import SourceFrame


@dataclass
class VideoJob:
    """One video to run: where its frames come from, its objects, their prompts, its GT (if any)."""

    video_id: str
    source: Iterable[SourceFrame]
    plan: VideoPlan  # objects (track ids, categories, prompt frames), num_frames (0: unknown), height, width
    prompts: Prompts  # t -> {object id: FramePrompt} (the planner's; ``categories``, optional ``observe``)
    gt: Optional[Callable[[int], np.ndarray]] = None  # t -> (O, H, W) bool in plan order; None: not scored
    image_id: Callable[[int], Any] = lambda t: t  # COCO image id of frame t
    only_frames: Optional[set[int]] = None  # score only these frames and stop after the last (QA pair sets)
    strict: bool = False  # a frame that fails to decode ends the run (evaluation); else it is skipped (stream)


@dataclass
class VideoContext:
    """One video being run, as the sinks see it."""

    job: VideoJob
    categories: dict[int, str]  # category id -> name
    label_values: list[int]  # PNG label value of each object of the plan

    @property
    def video_id(self) -> str:
        return self.job.video_id

    @property
    def plan(self) -> VideoPlan:
        return self.job.plan


@dataclass
class FrameResult:
    """One frame's outputs for the O objects of the plan (rows in plan order), K thresholds."""

    video: VideoContext
    out: PipelineFrame  # the chain's frame (image, timing, QA, sorted object ids)
    levels: np.ndarray  # (O, H, W) uint8: object i is predicted at threshold k where levels[i] > k
    active: np.ndarray  # (O,) bool: objects already tracked
    low_res: Optional[torch.Tensor]  # (A, 1, h, w) float32 SAM2 logits of the active objects (plan order)
    gt: Optional[np.ndarray] = None  # (O, H, W) bool
    scores: Optional[FrameScores] = None
    scored: list[bool] = field(default_factory=list)  # (O,) whether each object's frame counts in the metrics

    @property
    def frame(self) -> int:
        return self.out.index

    @property
    def frame_name(self) -> str:
        return self.out.name

    @property
    def prompted(self) -> set[int]:
        return self.out.prompted

    def masks(self, k: int = 0) -> np.ndarray:
        """(O, H, W) bool predictions at threshold ``k``."""
        return self.levels > k

    @cached_property
    def labels(self) -> np.ndarray:
        """(H, W) uint8 label map at the first threshold (values: ``video.label_values``)."""
        if not self.video.plan.track_ids:
            return np.zeros(self.levels.shape[1:], np.uint8)
        return label_map(self.masks(0), self.video.label_values)


class Sink:
    """An output of the run (all hooks optional). Files go to temporary siblings until ``commit``."""

    def start_video(self, video: VideoContext) -> None: ...

    def frame(self, result: FrameResult) -> None: ...

    def error(self, video: VideoContext, frame: PipelineFrame) -> None: ...

    def end_video(self, video: VideoContext) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class StagedSink(Sink):
    """A sink writing through one staged writer ``self.staged`` (committed / aborted with the run)."""

    staged: Any

    def commit(self) -> None:
        self.staged.commit()

    def abort(self) -> None:
        self.staged.abort()


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
    interrupted: bool = False  # stopped by Ctrl-C with ``keep_on_interrupt``


def run_videos(chain: Chain, jobs: Iterable[VideoJob], sinks: Sequence[Sink] = (),
               categories: Optional[dict[int, str]] = None, class_ids: Sequence[int] = (), bound_th: float = 0.008,
               skip_first_last: bool = True, progress: bool = True, keep_on_interrupt: bool = False) -> LoopResult:
    """Run every job through ``chain`` into ``sinks`` (committed on success, aborted on failure;
    ``keep_on_interrupt``: Ctrl-C ends a live run and commits what was written)."""
    thresholds = list(chain.thresholds)
    scorer = ThresholdScorer(thresholds, chain.settings.non_overlap, bound_th, list(class_ids))
    res = LoopResult(thresholds, list(class_ids), endovis=EndoVisAccumulator(len(class_ids), len(thresholds)))
    t0 = time.perf_counter()
    try:
        try:
            for job in jobs:
                _run_video(chain, job, scorer, sinks, dict(categories or {}), skip_first_last, progress, res)
        except KeyboardInterrupt:
            if not keep_on_interrupt:
                raise
            res.interrupted = True
        res.seconds = time.perf_counter() - t0
        for s in sinks:
            s.commit()
    except BaseException:
        for s in sinks:
            s.abort()
        raise
    return res


def _run_video(chain: Chain, job: VideoJob, scorer: ThresholdScorer, sinks: Sequence[Sink], categories: dict,
               skip_first_last: bool, progress: bool, res: LoopResult) -> None:
    plan = job.plan
    video = VideoContext(job, categories, palette_values(plan.track_ids) if plan.track_ids else [])
    acc = VideoAccumulator(plan, len(res.class_ids), len(res.thresholds), skip_first_last) if job.gt is not None else None
    for s in sinks:
        s.start_video(video)
    try:
        _frames(chain, job, video, scorer, sinks, acc, progress, res)
    except KeyboardInterrupt:  # a live run stopped by the user: close this video's files, then stop
        for s in sinks:
            s.end_video(video)
        raise
    for s in sinks:
        s.end_video(video)
    if acc is not None:
        res.objects += acc.objects
        res.endovis_per_video[job.video_id] = acc.endovis
        res.endovis.merge(acc.endovis)


def _frames(chain: Chain, job: VideoJob, video: VideoContext, scorer: ThresholdScorer, sinks: Sequence[Sink],
            acc: Optional[VideoAccumulator], progress: bool, res: LoopResult) -> None:
    plan = job.plan
    row = {tid: i for i, tid in enumerate(plan.track_ids)}
    frames = chain.frames(job.source, job.prompts, plan.num_frames or None)
    for f in tqdm(frames, total=plan.num_frames or None, desc=job.video_id, unit="frame", leave=False,
                  disable=not progress):
        if f.error is not None:
            if job.strict:
                raise DatasetError(f"video {job.video_id} frame {f.index} ({f.name}): cannot be decoded ({f.error}); "
                                   "replace the file or remove the video from the split")
            for s in sinks:
                s.error(video, f)
            continue
        n = len(plan.track_ids)
        levels = np.zeros((n, *f.image.shape[:2]), np.uint8)  # (O, H, W)
        active = np.zeros(n, dtype=bool)
        low = None
        if f.object_ids:
            rows = [row[o] for o in f.object_ids]
            levels[rows] = f.levels
            active[rows] = True
            low = f.low_res[np.argsort(rows)] if rows != sorted(rows) else f.low_res
        result = FrameResult(video, f, levels, active, low)
        wanted = job.only_frames is None or f.index in job.only_frames
        if job.gt is not None and wanted:
            result.gt = job.gt(f.index)
            result.scores = scorer.score(levels, result.gt, plan.category_ids)
            result.scored = acc.add(f.index, result.scores)
        for s in sinks:
            s.frame(result)
        res.frames += 1
        if job.only_frames is not None and f.index >= max(job.only_frames, default=-1):
            break  # the rest of the video is not needed for the listed frames
