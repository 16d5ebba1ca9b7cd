"""Class-aware, prompt-free evaluation planning (``prompt.kind=auto``).

Every category of the prompt encoder is one object (track id = category id) on every frame of every
video. The learned prompt is given on frame 0, then every ``every`` frames, and (``on_collapse``)
on the frame after a tracked mask collapsed: its area fell below ``on_collapse`` x its area on the
previous frame (from at least ``min_area`` pixels). Objects prompted together are re-prompted
together (SAM2's groups), so a collapse re-prompts every category. No ground truth is read to
prompt; :class:`CategoryGt` (the union of a category's GT masks) is read only to score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import torch

from sam2_video.data.index import VideoIndex, VideoRecord
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.pipeline.planners.gt import GtFrames, VideoPlan, frame_size
from sam2_video.prompt import FramePrompt


@dataclass(frozen=True)
class AutoPromptSchedule:
    """When the learned prompt is given (``eval.auto_prompt``)."""

    every: int = 0  # K > 0: every K frames after frame 0; 0: frame 0 only
    on_collapse: float = 0.0  # r in (0, 1): re-prompt after a mask shrank below r x its previous area; 0: off
    min_area: int = 16  # collapse needs a previous area of at least this many low-res pixels

    @classmethod
    def from_config(cls, node: Optional[Mapping]) -> "AutoPromptSchedule":
        node = dict(node or {})
        unknown = sorted(set(node) - {"every", "on_collapse", "min_area"})
        if unknown:
            raise ConfigError(f"eval.auto_prompt: unknown key(s) {unknown}; valid: every, on_collapse, min_area")
        s = cls(int(node.get("every", 0) or 0), float(node.get("on_collapse", 0.0) or 0.0),
                int(node.get("min_area", 16)))
        if s.every < 0:
            raise ConfigError(f"eval.auto_prompt.every={s.every}: use 0 (first frame only) or K > 0 frames")
        if not 0.0 <= s.on_collapse < 1.0:
            raise ConfigError(f"eval.auto_prompt.on_collapse={s.on_collapse}: an area ratio in [0, 1), 0 = off")
        return s

    def fixed_frames(self, num_frames: int) -> list[int]:
        return list(range(0, num_frames, self.every)) if self.every > 0 else [0]


def encoder_categories(model: torch.nn.Module, missing: str) -> list[int]:
    """The category ids of ``model``'s learned prompt encoder; ConfigError ``missing`` without one."""
    encoder = getattr(model, "auto_prompt", None)
    if encoder is None:
        raise ConfigError(missing)
    return [int(c) for c in encoder.category_ids.tolist()]


def check_categories(model_categories: Sequence[int], index: VideoIndex) -> list[int]:
    """The encoder's category ids; every dataset category (except 0) must be one of them."""
    cats = [int(c) for c in model_categories]
    data = sorted(int(c) for c in index.categories if int(c) != 0)
    missing = sorted(set(data) - set(cats))
    if missing:
        raise ConfigError(
            f"{index.source}: dataset has {len(data)} categories {data} but the prompt encoder knows {len(cats)} "
            f"{cats}; set model.auto_prompt.category_ids to the dataset's ids and train the encoder on them")
    return cats


def plan_auto_video(record: VideoRecord, categories: Sequence[int]) -> VideoPlan:
    """One object per category, all starting on frame 0."""
    if not record.frames:
        raise DatasetError(f"video {record.video_id}: no frames")
    tids = [int(c) for c in categories]
    # prompt_frames: only frame 0 is left out of the scores (DAVIS protocol); re-prompted frames read
    # no GT, so they are scored like every other prediction (``AutoPrompts`` schedules them)
    return VideoPlan(record.video_id, tids, np.array(tids, dtype=np.int64), {c: 0 for c in tids},
                     {c: [0] for c in tids}, len(record.frames), *frame_size(record))


class CategoryGt(GtFrames):
    """(O, H, W) bool GT per category (union of its tracks) on frame t; for scoring only."""

    def __init__(self, record: VideoRecord, categories: Sequence[int]) -> None:
        super().__init__(record, sorted(int(t) for t in record.categories))  # every track of the video
        self.categories = [int(c) for c in categories]

    def load(self, t: int) -> np.ndarray:
        fr = self.record.frames[t]
        out = np.zeros((len(self.categories), fr.height, fr.width), dtype=bool)
        if self.track_ids:
            stack = self.record.load_mask_stack(t, self.track_ids)  # (N, H, W)
            for i, c in enumerate(self.categories):
                rows = [j for j, tid in enumerate(self.track_ids) if int(self.record.categories[tid]) == c]
                if rows:
                    out[i] = stack[rows].any(axis=0)
        return out


class AutoPrompts:
    """The learned prompt of every category (object id = category id) on the schedule's frames; after a
    collapse (``observe`` sees a tracked mask shrink below ``on_collapse`` x its previous low-res area)
    every category is prompted again on the next frame. Reads no ground truth."""

    def __init__(self, categories: Sequence[int], schedule: AutoPromptSchedule, num_frames: Optional[int]) -> None:
        self.cats = [int(c) for c in categories]
        self.categories = {c: c for c in self.cats}
        self.schedule, self.num_frames = schedule, num_frames
        self.frames = set(schedule.fixed_frames(num_frames)) if num_frames else {0}
        self.every = schedule.every
        self.prev_area: Optional[torch.Tensor] = None

    def __call__(self, t: int) -> dict[int, FramePrompt]:
        due = t in self.frames or (self.num_frames is None and self.every > 0 and t % self.every == 0)
        return {c: FramePrompt("auto", category=c) for c in self.cats} if due else {}

    def observe(self, frame) -> None:
        """``frame``: the chain's ``PipelineFrame`` (its ``low_res`` (O, 1, h, w) logits, ids sorted)."""
        if frame.low_res is None:
            return
        area = (frame.low_res > 0).flatten(1).sum(1)  # (O,) low-res pixels
        last = self.num_frames is not None and frame.index + 1 >= self.num_frames
        if self.schedule.on_collapse > 0 and self.prev_area is not None and len(area) == len(self.prev_area) \
                and not last:
            collapsed = (self.prev_area >= self.schedule.min_area) & (area < self.schedule.on_collapse * self.prev_area)
            if bool(collapsed.any()) and not frame.prompted:
                self.frames.add(frame.index + 1)
        self.prev_area = area


class AutoPlanner:
    """The ``auto`` prompt kind for the evaluation loop: ``plan`` / ``gt`` / ``predict`` per video."""

    def __init__(self, categories: Sequence[int], schedule: AutoPromptSchedule) -> None:
        self.categories, self.schedule = [int(c) for c in categories], schedule

    @classmethod
    def for_model(cls, model: torch.nn.Module, index: VideoIndex, node: Optional[Mapping] = None) -> "AutoPlanner":
        cats = encoder_categories(model, "prompt.kind=auto needs a prompt encoder: set model.auto_prompt.enabled=true "
                                  "(and model.checkpoint_path to a model trained with experiment=autosam2)")
        return cls(check_categories(cats, index), AutoPromptSchedule.from_config(node))

    def plan(self, record: VideoRecord) -> VideoPlan:
        return plan_auto_video(record, self.categories)

    def gt(self, record: VideoRecord, plan: VideoPlan) -> CategoryGt:
        return CategoryGt(record, plan.track_ids)

    def prompts(self, record: VideoRecord, plan: VideoPlan, gt) -> AutoPrompts:
        return AutoPrompts(plan.track_ids, self.schedule, plan.num_frames)  # ``gt`` is never read: it only scores
