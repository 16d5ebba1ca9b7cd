"""A memory write deferred with ``step(write_memory=False)`` + ``write_memory(feats, out)`` is bit-identical
to the one ``step`` makes itself (the streaming runner times the write as its own stage)."""

from __future__ import annotations

import torch

from sam2_video.inference import FrameGeometry, TrackingSession
from sam2_video.prompt import FramePrompt
from tests.conftest import shapes_video


def _run(model, frames, masks, deferred: bool) -> list[torch.Tensor]:
    session = TrackingSession(model, FrameGeometry(frames.shape[1], frames.shape[2], model.image_size))
    out = []
    for t in range(len(frames)):
        feats = session.encode(t, frames[t])
        prompts = {1: FramePrompt("mask", mask=masks[t, 0]), 2: FramePrompt("mask", mask=masks[t, 1])} if t == 0 else None
        if deferred and t > 0:
            step = session.step(feats, prompts, write_memory=False)
            assert not step.memory_written and step.high_res_logits.shape == (2, 1, model.image_size, model.image_size)
            session.write_memory(feats, step)
        else:
            step = session.step(feats, prompts)
        out.append(step.low_res_logits)
    return out


def test_deferred_memory_write_equals_the_step_write(debug_model):
    frames, masks = shapes_video(7)
    direct, deferred = _run(debug_model, frames, masks, False), _run(debug_model, frames, masks, True)
    for t, (a, b) in enumerate(zip(direct, deferred)):
        assert torch.equal(a, b), t


def test_prompted_frames_carry_no_high_res(debug_model):
    frames, masks = shapes_video(1)
    session = TrackingSession(debug_model, FrameGeometry(frames.shape[1], frames.shape[2], debug_model.image_size))
    out = session.step(session.encode(0, frames[0]), {1: FramePrompt("mask", mask=masks[0, 0])})
    assert out.high_res_logits is None and out.low_res_logits.shape[0] == 1
