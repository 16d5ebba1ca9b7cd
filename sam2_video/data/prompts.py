"""Moved: the ground-truth prompt sampler lives in :mod:`sam2_video.prompt.sampler` (the prompt layer).

Kept as a re-export so existing imports keep working; new code imports from ``sam2_video.prompt``.
"""

from sam2_video.prompt.sampler import NegRegion, PromptGenerator, center_point, tight_box

__all__ = ["NegRegion", "PromptGenerator", "center_point", "tight_box"]
