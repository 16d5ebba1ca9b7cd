"""The prompt layer shared by training, validation, evaluation and the inference core.

- :mod:`frame_prompt`: the one vocabulary of prompt kinds and ``FramePrompt`` (one object, one frame);
- :mod:`sampler`: points / boxes / mask prompts sampled from a ground-truth mask (``PromptGenerator``);
- :mod:`spec`: ``PromptSpec``, the ``prompt`` config group as one typed object.
"""

from sam2_video.prompt.frame_prompt import GT_PROMPT_KINDS, PROMPT_KINDS, FramePrompt, PromptKind
from sam2_video.prompt.sampler import PromptGenerator
from sam2_video.prompt.spec import KindProbabilities, PromptSpec, TrainPrompting, kind_probabilities

__all__ = ["FramePrompt", "PromptKind", "PROMPT_KINDS", "GT_PROMPT_KINDS", "PromptGenerator", "PromptSpec",
           "TrainPrompting", "KindProbabilities", "kind_probabilities"]
