"""Planning a dataset video: its objects, lazy GT, and the ground-truth prompt kinds (point / box / mask).

A planner gives, per video, a :class:`VideoPlan` (objects, categories, prompt frames), a GT callable
(for scoring) and the video's prompts (``t -> {object id: FramePrompt}``) that the chain asks for on
every frame. Every path (evaluation, threshold search, stream) plans with the same planner, so they
prompt identically. Kinds are registered in ``sam2_video.pipeline.planners.PLANNERS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Protocol

import numpy as np
from loguru import logger

from sam2_video.data.index import VideoRecord
from sam2_video.pipeline.planners.gt_prompts import EvalPromptFactory
from sam2_video.prompt import FramePrompt
from sam2_video.errors import DatasetError


@dataclass
class VideoPlan:
    """Objects of a video (sorted track ids), where each starts and where it is prompted."""

    video_id: str
    track_ids: list[int]
    category_ids: np.ndarray  # (O,) int64
    first_frame: dict[int, int]  # track id -> first frame where it is in the GT
    prompt_frames: dict[int, list[int]]  # track id -> prompted frames (first + re-prompts)
    num_frames: int
    height: int
    width: int

    @property
    def schedule(self) -> dict[int, list[int]]:
        """frame -> track ids prompted there."""
        out: dict[int, list[int]] = {}
        for tid in self.track_ids:
            for t in self.prompt_frames[tid]:
                out.setdefault(t, []).append(tid)
        return out

    @property
    def any_prompt_frames(self) -> set[int]:
        return {t for frames in self.prompt_frames.values() for t in frames}


def frame_size(record: VideoRecord) -> tuple[int, int]:
    """(H, W) of every frame of ``record``; DatasetError when the frames differ in size."""
    heights = {fr.height for fr in record.frames}
    widths = {fr.width for fr in record.frames}
    if len(heights) != 1 or len(widths) != 1:
        raise DatasetError(f"video {record.video_id}: frames of different sizes {sorted(heights)}x{sorted(widths)}; "
                           "every frame of a video must have the same height and width")
    return heights.pop(), widths.pop()


def plan_video(record: VideoRecord, reprompt_every: int = 0) -> VideoPlan:
    """Prompt each object on its first GT frame, then every ``reprompt_every`` frames (0: never)."""
    first: dict[int, int] = {}
    for t, fr in enumerate(record.frames):
        for tid in fr.objects:
            first.setdefault(int(tid), t)
    never = sorted(set(record.categories) - set(first))
    if never:
        logger.warning(f"video {record.video_id}: tracks {never} have no mask in any frame; not evaluated")
    tids = sorted(first)
    t_len, step = len(record.frames), int(reprompt_every)
    prompts = {tid: list(range(first[tid], t_len, step)) if step > 0 else [first[tid]] for tid in tids}
    return VideoPlan(record.video_id, tids, np.array([record.categories[t] for t in tids], dtype=np.int64),
                     first, prompts, t_len, *frame_size(record))


class GtFrames:
    """GT mask stacks of one video, each frame decoded once (a one-frame cache)."""

    def __init__(self, record: VideoRecord, track_ids: list[int]) -> None:
        self.record, self.track_ids = record, track_ids
        self._t: Optional[int] = None
        self._stack: Optional[np.ndarray] = None

    def __call__(self, t: int) -> np.ndarray:
        """(O, H, W) bool, zeros for absent tracks."""
        if t != self._t:
            self._stack = self.load(t)
            self._t = t
        return self._stack

    def load(self, t: int) -> np.ndarray:
        return self.record.load_mask_stack(t, self.track_ids)


class Planner(Protocol):
    """How the objects of a video are chosen, scored and prompted (the evaluation loop's seam).

    ``plan``: the objects (track ids, categories, prompt frames); ``gt``: a callable ``t -> (O, H, W)``
    bool GT stack of the plan's objects (used for scoring, and by GT prompt kinds to prompt);
    ``prompts``: the video's prompts, a callable ``t -> {object id: FramePrompt}`` with a
    ``categories`` dict (object id -> category id) and optionally ``observe(frame)``.
    """

    def plan(self, record: VideoRecord) -> VideoPlan: ...

    def gt(self, record: VideoRecord, plan: VideoPlan): ...

    def prompts(self, record: VideoRecord, plan: VideoPlan, gt) -> Callable[[int], Mapping[int, FramePrompt]]: ...


class GtPlanner:
    """The evaluation plan of the ground-truth prompt kinds (point / box / mask): prompts from each
    object's GT on its first frame (+ every ``reprompt_every``). Other kinds (``auto``) provide the
    same three methods (``sam2_video.pipeline.planners``)."""

    def __init__(self, factory: EvalPromptFactory, reprompt_every: int = 0) -> None:
        self.factory, self.reprompt_every = factory, int(reprompt_every)

    def plan(self, record: VideoRecord) -> VideoPlan:
        return plan_video(record, self.reprompt_every)

    def gt(self, record: VideoRecord, plan: VideoPlan) -> GtFrames:
        return GtFrames(record, plan.track_ids)

    def prompts(self, record: VideoRecord, plan: VideoPlan, gt: GtFrames) -> "GtPrompts":
        return GtPrompts(plan, gt, self.factory)


class GtPrompts:
    """Each object's prompt from its GT on its scheduled frames (``plan.schedule``), drawn by ``factory``."""

    def __init__(self, plan: VideoPlan, gt: GtFrames, factory: EvalPromptFactory) -> None:
        self.plan, self.gt, self.factory = plan, gt, factory
        self.index = {tid: i for i, tid in enumerate(plan.track_ids)}
        self.schedule = plan.schedule
        self.categories = dict(zip(plan.track_ids, (int(c) for c in plan.category_ids)))

    def __call__(self, t: int) -> dict[int, FramePrompt]:
        tids = self.schedule.get(t, [])
        if not tids:
            return {}
        stack = self.gt(t)
        return {tid: self.factory(stack[self.index[tid]], self.plan.video_id, tid, t) for tid in tids}
