"""Scoring the streaming loop through a full occlusion (the scenes of `sam2_video.data.occlusion_scenes`).

:func:`track_through_occlusion` streams a generated occlusion video (seeded with the object's mask
on frame 0) under given stream settings and scores the masks against the visible ground truth per
phase: before the occluder touches the object, while it is fully hidden (the predicted area, which
should be ~0, and the share of hidden frames predicted empty) and after it (reappearing + clear
frames). :func:`check_prompt_response` checks the precondition of any recovery by re-prompting:
that the model segments the object, not the occluder next to it, when given the auto-prompt's box +
point on a single frame. Used by bench/bench_stream_recovery.py and the recovery test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import numpy as np

from sam2_video.prompt import FramePrompt
from sam2_video.pipeline.last_seen import prompt_from_mask
from sam2_video.pipeline.chain import PipelineFrame, Chain
from sam2_video.data.occlusion_scenes import OcclusionVideo
from sam2_video.metrics.metrics import region_similarity
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import IteratorSource


@dataclass(frozen=True)
class RecoveryScore:
    iou_before: float  # mean IoU on the frames before the occluder touches the object
    iou_after: float  # mean IoU on every frame after the last fully hidden one
    iou_clear: float  # mean IoU on the frames where the object is fully visible again
    area_hidden: float  # mean predicted area (px) while the object is fully hidden
    empty_hidden: float  # share of the fully hidden frames predicted empty
    per_frame_iou: list[float] = field(default_factory=list)  # (T,), 1.0 where both masks are empty


@dataclass(frozen=True)
class PromptCheck:
    """How the model answers the auto-prompt's box + point given on the true object, one frame at a time."""

    iou: float  # mean IoU with the object
    on_occluder: float  # mean share of the predicted pixels that lie on the occluder
    frames: list[int] = field(default_factory=list)  # the frames checked


def check_prompt_response(model: Any, video: OcclusionVideo) -> PromptCheck:
    """Prompt each frame before the occlusion on which the occluder is already in view (every frame
    before it when the occluder is never in view before, as in ``reveal_video``), on its own
    (a fresh stream of one frame), with ``prompt_from_mask(true mask)``: a model that answers box +
    point prompts segments the object and leaves the occluder out (re-prompting can only help then)."""
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False)
    frames = [t for t in video.before if video.occluder[t].any()] or list(video.before)  # reveal: never in view before
    ious, shares = [], []
    for t in frames:
        prompt = {1: prompt_from_mask(video.masks[t])}
        f = next(iter(Chain(model, s).frames(IteratorSource([video.frames[t]], "prompt"), lambda i: prompt)))
        pred = f.masks[0]
        ious.append(region_similarity(pred, video.masks[t]))
        shares.append(float((pred & video.occluder[t]).sum() / max(int(pred.sum()), 1)))
    return PromptCheck(float(np.mean(ious)), float(np.mean(shares)), frames)


def stream_from_mask(model: Any, video: OcclusionVideo, num_frames: Optional[int] = None,
                     **settings: Any) -> Iterator[PipelineFrame]:
    """Stream the first ``num_frames`` frames of ``video`` (all by default), object 1 seeded with its
    mask on frame 0, under ``StreamSettings(**settings)`` (plain memory propagation when empty)."""
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False, **settings)
    s.validate()
    seed = {1: FramePrompt("mask", mask=video.masks[0])}
    source = IteratorSource(list(video.frames[:num_frames]), "occlusion")
    return Chain(model, s).frames(source, lambda t: seed if t == 0 else {})


def track_through_occlusion(model: Any, video: OcclusionVideo, **settings: Any) -> RecoveryScore:
    """Stream ``video`` with ``StreamSettings(**settings)`` (plain memory propagation when empty)."""
    empty = np.zeros(video.masks.shape[1:], bool)
    preds = [empty] * len(video.frames)
    for f in stream_from_mask(model, video, **settings):
        if f.masks is not None and len(f.masks):
            preds[f.index] = f.masks[0]
    per_frame = [region_similarity(p, g) for p, g in zip(preds, video.masks)]
    after = range(max(video.hidden) + 1, len(video.frames))
    return RecoveryScore(
        iou_before=float(np.mean([per_frame[t] for t in video.before])),
        iou_after=float(np.mean([per_frame[t] for t in after])),
        iou_clear=float(np.mean([per_frame[t] for t in video.clear])),
        area_hidden=float(np.mean([preds[t].sum() for t in video.hidden])),
        empty_hidden=float(np.mean([not preds[t].any() for t in video.hidden])),
        per_frame_iou=[round(v, 4) for v in per_frame],
    )
