"""The ``file`` planner: prompts from a prompts file (``sam2_video.pipeline.prompts_file``), for a
source without ground truth (predict.py, the stream from a folder / video / camera)."""

from __future__ import annotations

from typing import Optional

from sam2_video.pipeline.prompts_file import PromptsFile
from sam2_video.prompt import FramePrompt


class FilePrompts:
    """``t -> {object id: FramePrompt}`` of a parsed prompts file; ``categories`` object id -> category."""

    def __init__(self, prompts: PromptsFile, categories: Optional[dict[int, int]] = None) -> None:
        self.file = prompts
        self.categories = dict(categories if categories is not None else prompts.category_of())

    def __call__(self, t: int) -> dict[int, FramePrompt]:
        return dict(self.file.frames.get(t, {}))

    @property
    def first_frames(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for t in sorted(self.file.frames):
            for o in self.file.frames[t]:
                out.setdefault(o, t)
        return out
