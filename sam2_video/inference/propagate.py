"""Whole-video propagation: a thin loop over a :class:`TrackingSession` with frame prefetch.

Used by the evaluation and the threshold search. Frames are loaded lazily (decoded and resized one
frame ahead in a background thread on GPU) and run through the image encoder ``encode_batch`` frames
at a time (the encoder reads no mask or memory: the same features, up to float rounding when torch
uses several threads); an object's
predictions start at its first prompt frame (Meta's ``vos_inference`` semantics for objects that
appear later); later prompts (re-prompting) act from the moment the stream reaches them.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np
import torch
from sam2.modeling.sam2_base import SAM2Base

from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.memory import MemoryPolicy
from sam2_video.inference.session import FrameFeatures, StepOutput, TrackingSession
from sam2_video.prompt import FramePrompt

PromptSource = Callable[[int], Mapping[int, FramePrompt]]


class VideoPropagator:
    """Run prompts through whole videos with one model and one set of inference settings.

    ``prefetch``: frames decoded and resized ahead in a background thread, overlapping the model.
    Default (``None``): 1 on GPU; 0 on CPU, where the small models spend much of a frame in the
    Python interpreter and a decoding thread mostly contends with it for the GIL (measured slower,
    docs/benchmarks.md). ``encode_batch``: frames per image-encoder call (default 8; the features of
    up to that many frames are held at once: lower it for large models at 1024 px on small GPUs).
    """

    def __init__(self, model: SAM2Base, memory_dtype: Optional[torch.dtype] = torch.bfloat16,
                 autocast_dtype: Optional[torch.dtype] = None, prefetch: Optional[int] = None,
                 policy: MemoryPolicy = MemoryPolicy(), encode_batch: int = 8) -> None:
        if int(encode_batch) < 1:
            raise ValueError(f"encode_batch must be >= 1, got {encode_batch}")
        self.encode_batch = int(encode_batch)
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
            encoded: dict[int, FrameFeatures] = {}
            for t in range(num_frames):
                if t < first:
                    yield StepOutput(t, [], None, None, None)
                    continue
                if t not in encoded:
                    chunk = range(t, min(t + self.encode_batch, num_frames))
                    if self.prefetch:  # decode the next frame(s) while the model runs on these
                        for k in range(t, min(chunk.stop + self.prefetch, num_frames)):
                            if k not in pending:
                                pending[k] = pool.submit(read, k)
                        images = [pending.pop(k).result() for k in chunk]
                    else:
                        images = [read(k) for k in chunk]
                    encoded = dict(zip(chunk, session.encode_many(list(chunk), images)))
                feats = encoded.pop(t)
                last = t == num_frames - 1  # nothing reads the last frame's memory: skip its encoder
                yield session.step(feats, prompts_at(t) if schedule.get(t) else None, False if last else None)


def default_prefetch(device: torch.device) -> int:
    """Frames to decode ahead by default (see :class:`VideoPropagator`)."""
    return int(device.type != "cpu")


def static_prompts(prompts: Mapping[int, Mapping[int, FramePrompt]]) -> tuple[dict[int, list[int]], PromptSource]:
    """(schedule, prompts_at) for prompts known up front: frame -> {object id: prompt}."""
    return {t: list(p) for t, p in prompts.items()}, lambda t: prompts[t]
