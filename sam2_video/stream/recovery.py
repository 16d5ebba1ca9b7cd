"""Scoring the streaming loop through a full occlusion (`sam2_video.stream.scenarios.occlusion_video`).

:func:`track_through_occlusion` streams a generated occlusion video (seeded with the object's mask
on frame 0) under given stream settings and scores the masks against the visible ground truth per
phase: before the occluder touches the object, while it is fully hidden (the predicted area, which
should be ~0, and the share of hidden frames predicted empty) and after it (reappearing + clear
frames). Used by bench/bench_stream_recovery.py and the recovery test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sam2_video.prompt import FramePrompt
from sam2_video.stream.runner import StreamRunner
from sam2_video.stream.scenarios import OcclusionVideo
from sam2_video.stream.settings import StreamSettings
from sam2_video.stream.sources import IteratorSource


@dataclass(frozen=True)
class RecoveryScore:
    iou_before: float  # mean IoU on the frames before the occluder touches the object
    iou_after: float  # mean IoU on every frame after the last fully hidden one
    iou_clear: float  # mean IoU on the frames where the object is fully visible again
    area_hidden: float  # mean predicted area (px) while the object is fully hidden
    empty_hidden: float  # share of the fully hidden frames predicted empty
    per_frame_iou: list[float] = field(default_factory=list)  # (T,), 1.0 where both masks are empty


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (H, W) bool masks; 1.0 when both are empty."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def track_through_occlusion(model: Any, video: OcclusionVideo, **settings: Any) -> RecoveryScore:
    """Stream ``video`` with ``StreamSettings(**settings)`` (plain memory propagation when empty)."""
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False, **settings)
    s.validate()
    seed = {1: FramePrompt("mask", mask=video.masks[0])}
    empty = np.zeros(video.masks.shape[1:], bool)
    preds = [empty] * len(video.frames)
    source = IteratorSource(list(video.frames), "occlusion")
    for f in StreamRunner(model, s).frames(source, lambda t: seed if t == 0 else {}):
        if f.masks is not None and len(f.masks):
            preds[f.index] = f.masks[0]
    per_frame = [iou(p, g) for p, g in zip(preds, video.masks)]
    after = range(max(video.hidden) + 1, len(video.frames))
    return RecoveryScore(
        iou_before=float(np.mean([per_frame[t] for t in video.before])),
        iou_after=float(np.mean([per_frame[t] for t in after])),
        iou_clear=float(np.mean([per_frame[t] for t in video.clear])),
        area_hidden=float(np.mean([preds[t].sum() for t in video.hidden])),
        empty_hidden=float(np.mean([not preds[t].any() for t in video.hidden])),
        per_frame_iou=[round(v, 4) for v in per_frame],
    )
