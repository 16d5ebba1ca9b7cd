"""Whole-video propagation: a thin loop over a :class:`TrackingSession` with frame prefetch.

Used by the evaluation and the threshold search. Frames are loaded lazily, one at a time (decoded
and resized one frame ahead in a background thread on GPU); an object's
predictions start at its first prompt frame (Meta's ``vos_inference`` semantics for objects that
appear later); later prompts (re-prompting) act from the moment the stream reaches them.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np
import torch
from sam2.modeling.sam2_base import SAM2Base

from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.memory import MemoryPolicy
from sam2_video.inference.session import StepOutput, TrackingSession
from sam2_video.prompt import FramePrompt

PromptSource = Callable[[int], Mapping[int, FramePrompt]]


class VideoPropagator:
    """Run prompts through whole videos with one model and one set of inference settings.

    ``prefetch``: frames decoded and resized ahead in a background thread, overlapping the model.
    Default (``None``): 1 on GPU, and on CPU when torch's intra-op threads leave a core free
    (``torch.get_num_threads() < os.cpu_count()``); 0 when torch already uses every core, where the
    thread would only compete with the model (docs/benchmarks.md).
    """

    def __init__(self, model: SAM2Base, memory_dtype: Optional[torch.dtype] = torch.bfloat16,
                 autocast_dtype: Optional[torch.dtype] = None, prefetch: Optional[int] = None,
                 policy: MemoryPolicy = MemoryPolicy()) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.prefetch = int(prefetch) if prefetch is not None else default_prefetch(self.device)
        self.memory_dtype, self.autocast_dtype, self.policy = memory_dtype, autocast_dtype, policy
        self.image_size = int(model.image_size)

    def session(self, geo: FrameGeometry, num_frames: Optional[int]) -> TrackingSession:
        return TrackingSession(self.model, geo, self.policy, self.memory_dtype, self.autocast_dtype, num_frames)

    def propagate(self, num_frames: int, load_frame: Callable[[int], np.ndarray],
                  schedule: Mapping[int, Sequence[int]], prompts_at: PromptSource,
                  geo: FrameGeometry) -> Iterator[StepOutput]:
        """Yield a :class:`StepOutput` for every frame 0..T-1.

        ``schedule``: frame -> object ids prompted there (objects first prompted on the same frame
        must be prompted together later too); ``prompts_at(t)`` builds the prompts of a scheduled
        frame; ``load_frame(t)`` returns (H, W, 3) uint8 RGB, once per frame from the first prompt on.
        The last frame writes no memory (nothing would read it), unless it is prompted.
        """
        session = self.session(geo, num_frames)
        first = min((t for t, ids in schedule.items() if ids), default=num_frames)
        read = lambda t: geo.image(load_frame(t))  # noqa: E731  (3, S, S) float32
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-prefetch") as pool:
            pending: dict[int, Future] = {}
            for t in range(num_frames):
                if t < first:
                    yield StepOutput(t, [], None, None, None)
                    continue
                if self.prefetch:  # decode the next frame(s) while the model runs on this one
                    for k in range(t, min(t + self.prefetch + 1, num_frames)):
                        if k not in pending:
                            pending[k] = pool.submit(read, k)
                    image = pending.pop(t).result()
                else:
                    image = read(t)
                feats = session.encode(t, image)
                last = t == num_frames - 1  # nothing reads the last frame's memory: skip its encoder
                yield session.step(feats, prompts_at(t) if schedule.get(t) else None, False if last else None)


def default_prefetch(device: torch.device) -> int:
    """Frames to decode ahead by default (see :class:`VideoPropagator`)."""
    if device.type != "cpu":
        return 1
    return int(torch.get_num_threads() < (os.cpu_count() or 1))


def static_prompts(prompts: Mapping[int, Mapping[int, FramePrompt]]) -> tuple[dict[int, list[int]], PromptSource]:
    """(schedule, prompts_at) for prompts known up front: frame -> {object id: prompt}."""
    return {t: list(p) for t, p in prompts.items()}, lambda t: prompts[t]
