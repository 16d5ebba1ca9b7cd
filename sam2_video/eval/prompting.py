"""Evaluation prompts from ground-truth masks (``prompt.kind`` point / box / mask), in video pixels.

A thin adapter over :meth:`sam2_video.prompt.PromptSpec.frame_prompt`, the one place prompts are
drawn: validation clips during training get the same draws (``PromptSpec.clip_prompts``). The random
draws of (video, object, frame) depend only on ``seed`` and those ids, so re-runs prompt identically.
An object absent from the GT on a re-prompt frame gets an empty mask prompt ("not here").
"""

from __future__ import annotations

import numpy as np

from sam2_video.prompt import GT_PROMPT_KINDS, FramePrompt, PromptSpec


class EvalPromptFactory:
    """Build the prompt of an object from its GT mask on a frame."""

    def __init__(self, kind: str, num_pos_points: int = 1, num_neg_points: int = 0,
                 include_center: bool = True, box_jitter: float = 0.0, seed: int = 0) -> None:
        if kind not in GT_PROMPT_KINDS:
            raise ValueError(f"prompts from ground truth are one of {GT_PROMPT_KINDS}, not {kind!r}")
        if kind == "point" and num_pos_points + int(include_center) == 0:
            raise ValueError("point prompts need num_pos_points >= 1 or include_center=true")
        self.spec = PromptSpec(kind=kind, num_pos_points=num_pos_points, num_neg_points=num_neg_points,
                               include_center=include_center, box_jitter=box_jitter, seed=seed)
        self.kind = kind
        self.sampler = self.spec.sampler(train=False)

    @classmethod
    def from_spec(cls, spec: PromptSpec) -> "EvalPromptFactory":
        """The factory of a whole :class:`PromptSpec` (negative region, jitter cap, ... included)."""
        factory = cls.__new__(cls)
        factory.spec, factory.kind, factory.sampler = spec, spec.kind, spec.sampler(train=False)
        return factory

    def __call__(self, mask: np.ndarray, video_id: str, object_id: int, frame: int) -> FramePrompt:
        """Prompt for a (H, W) bool GT mask."""
        return self.spec.frame_prompt(mask, video_id, object_id, frame, self.sampler)
