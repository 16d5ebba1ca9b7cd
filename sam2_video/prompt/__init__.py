"""The prompt vocabulary shared by training, validation, evaluation and the inference core."""

from sam2_video.prompt.frame_prompt import GT_PROMPT_KINDS, PROMPT_KINDS, FramePrompt, PromptKind

__all__ = ["FramePrompt", "PromptKind", "PROMPT_KINDS", "GT_PROMPT_KINDS"]
