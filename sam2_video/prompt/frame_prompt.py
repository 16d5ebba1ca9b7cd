"""One object's prompt on one frame, and the one vocabulary of prompt kinds.

Kinds:
- ``point``: clicks (positive / negative), xy in video pixels;
- ``box``: a tight box x0, y0, x1, y1 (SAM2 encodes it as two points labelled 2 / 3);
- ``mask``: a binary mask at the frame resolution (an empty mask means "not here");
- ``auto``: no user input; the model's learned prompt encoder (prompt-free mode) supplies the prompt.

``point``, ``box`` and ``mask`` can be derived from ground truth (``GT_PROMPT_KINDS``); ``auto`` reads
no ground truth at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

import numpy as np

PromptKind = Literal["point", "box", "mask", "auto"]
PROMPT_KINDS: tuple[str, ...] = ("point", "box", "mask", "auto")
GT_PROMPT_KINDS: tuple[str, ...] = ("point", "box", "mask")


@dataclass(frozen=True)
class FramePrompt:
    """One object's prompt on one frame; coordinates are xy in video pixels."""

    kind: PromptKind
    points: Optional[np.ndarray] = None  # (P, 2) float32 xy
    labels: Optional[np.ndarray] = None  # (P,) int32: 1 positive, 0 negative
    box: Optional[np.ndarray] = None  # (4,) float32 x0, y0, x1, y1
    mask: Optional[np.ndarray] = None  # (H, W) bool
    category: Optional[int] = None  # kind ``auto``: the dataset category the learned prompt asks for

    def __post_init__(self) -> None:
        if self.kind not in PROMPT_KINDS:
            raise ValueError(f"unknown prompt kind {self.kind!r}; use one of {PROMPT_KINDS}")
        needs = {"point": self.points, "box": self.box, "mask": self.mask}
        if self.kind in needs and needs[self.kind] is None:
            raise ValueError(f"a {self.kind!r} prompt needs its {self.kind} data")

    @property
    def signature(self) -> tuple:
        """Objects with equal signatures can share one batched SAM call."""
        return (self.kind, 0 if self.points is None else len(self.points))

    @classmethod
    def empty(cls, height: int, width: int) -> "FramePrompt":
        """The "object is not on this frame" prompt: an empty mask."""
        return cls("mask", mask=np.zeros((height, width), dtype=bool))
