"""Evaluation prompts from ground-truth masks (``prompt.kind`` point / box / mask), in video pixels.

A thin adapter over :meth:`sam2_video.prompt.PromptSpec.frame_prompt`, the one place prompts are
drawn: validation clips during training get the same draws (``PromptSpec.clip_prompts``). The random
draws of (video, object, frame) depend only on ``prompt.seed`` and those ids, so re-runs prompt identically.
An object absent from the GT on a re-prompt frame gets an empty mask prompt ("not here").
"""

from __future__ import annotations

import numpy as np

from sam2_video.errors import ConfigError
from sam2_video.prompt import GT_PROMPT_KINDS, FramePrompt, PromptSpec


class EvalPromptFactory:
    """Build the prompt of an object from its GT mask on a frame, as ``spec`` says."""

    def __init__(self, spec: PromptSpec) -> None:
        if spec.kind not in GT_PROMPT_KINDS:
            raise ConfigError(f"prompt.kind={spec.kind!r}: prompts from ground truth are one of "
                              f"{list(GT_PROMPT_KINDS)}; {spec.kind} is planned by its own planner")
        self.spec, self.kind, self.sampler = spec, spec.kind, spec.sampler(train=False)

    def __call__(self, mask: np.ndarray, video_id: str, object_id: int, frame: int) -> FramePrompt:
        """Prompt for a (H, W) bool GT mask."""
        return self.spec.frame_prompt(mask, video_id, object_id, frame, self.sampler)
