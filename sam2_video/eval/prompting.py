"""Evaluation prompts from ground-truth masks (``eval.prompt_type`` point / box / mask), in video pixels.

Points and boxes come from the data pipeline's :class:`sam2_video.data.prompts.PromptGenerator`
(centre point, positives, negatives; box with inclusive max, no jitter by default). The random
draws of (video, object, frame) depend only on ``seed`` and those ids, so re-runs prompt
identically. An object absent from the GT on a re-prompt frame gets an empty mask prompt ("not
here"), whatever the prompt type.
"""

from __future__ import annotations

import zlib

import numpy as np

from sam2_video.data.prompts import PromptGenerator
from sam2_video.prompt import GT_PROMPT_KINDS, FramePrompt


class EvalPromptFactory:
    """Build the prompt of an object from its GT mask on a frame."""

    def __init__(self, kind: str, num_pos_points: int = 1, num_neg_points: int = 0,
                 include_center: bool = True, box_jitter: float = 0.0, seed: int = 0) -> None:
        if kind not in GT_PROMPT_KINDS:
            raise ValueError(f"prompts from ground truth are one of {GT_PROMPT_KINDS}, not {kind!r}")
        if kind == "point" and num_pos_points + int(include_center) == 0:
            raise ValueError("point prompts need num_pos_points >= 1 or include_center=true")
        self.kind = kind
        self.seed = int(seed)
        self.box_jitter = float(box_jitter)
        self.generator = PromptGenerator(num_pos_points=num_pos_points, num_neg_points=num_neg_points,
                                         include_center=include_center, box_jitter=box_jitter, seed=seed)

    def _rng(self, video_id: str, object_id: int, frame: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(video_id.encode()), int(object_id) & 0xFFFFFFFF, frame])

    def __call__(self, mask: np.ndarray, video_id: str, object_id: int, frame: int) -> FramePrompt:
        """Prompt for a (H, W) bool GT mask."""
        mask = np.asarray(mask, dtype=bool)
        if self.kind == "mask" or not mask.any():
            return FramePrompt("mask", mask=mask)
        rng = self._rng(video_id, object_id, frame)
        if self.kind == "box":
            return FramePrompt("box", box=self.generator.box(mask, rng, jitter=self.box_jitter > 0))
        coords, labels = self.generator.points(mask, rng)
        keep = labels >= 0  # drop padding rows (e.g. no background for negatives)
        return FramePrompt("point", points=coords[keep], labels=labels[keep])
