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


def _track(model, frames, masks, tentative_at=None, commit=False, prompt_at=None):
    """Seed two objects on frame 0, track; a box + point prompt of object 1's true mask on frame
    ``prompt_at`` (committed by step) or ``tentative_at`` (step(commit_prompts=False), then committed
    by write_memory only when ``commit``). Returns the per-frame low-res logits and memory sizes."""
    from sam2_video.pipeline.last_seen import prompt_from_mask

    session = TrackingSession(model, FrameGeometry(frames.shape[1], frames.shape[2], model.image_size))
    outs, sizes = [], []
    for t in range(len(frames)):
        feats = session.encode(t, frames[t])
        if t == 0:
            out = session.step(feats, {1: FramePrompt("mask", mask=masks[0, 0]), 2: FramePrompt("mask", mask=masks[0, 1])})
        elif t in (tentative_at, prompt_at):
            both = {o: prompt_from_mask(masks[t, o - 1]) for o in (1, 2)}
            if t == prompt_at:
                out = session.step(feats, both)
            else:
                out = session.step(feats, both, write_memory=False, commit_prompts=False)
                assert not out.memory_written and out.high_res_logits.shape[0] == 2
                if commit:
                    session.write_memory(feats, out, conditioning=True, objects=[1, 2])
                else:
                    session.step(feats, {})  # the frame is tracked from memory instead (and written)
        else:
            out = session.step(feats)
        outs.append(out.low_res_logits)
        sizes.append(session.memory_sizes())
    return outs, sizes


def test_tentative_prompt_leaves_no_trace_unless_committed(debug_model):
    """A prompt given with commit_prompts=False changes nothing that follows; committed with
    write_memory(conditioning=True) it equals a prompt step() commits itself, bit for bit."""
    frames, masks = shapes_video(8)
    plain, plain_sizes = _track(debug_model, frames, masks)
    rejected, rejected_sizes = _track(debug_model, frames, masks, tentative_at=3)
    direct, direct_sizes = _track(debug_model, frames, masks, prompt_at=3)
    committed, committed_sizes = _track(debug_model, frames, masks, tentative_at=3, commit=True)
    assert rejected_sizes == plain_sizes and direct_sizes == committed_sizes
    assert direct_sizes[3][0][0] == 2 and plain_sizes[3][0][0] == 1  # frame 3: a second conditioning entry
    for t in range(4, 8):
        assert torch.equal(rejected[t], plain[t]), t
        assert torch.equal(committed[t], direct[t]), t
    assert any(not torch.equal(direct[t], plain[t]) for t in range(4, 8))  # the prompt did change the track


def test_write_memory_objects_selects_groups(debug_model):
    frames, masks = shapes_video(3)
    session = TrackingSession(debug_model, FrameGeometry(frames.shape[1], frames.shape[2], debug_model.image_size))
    session.step(session.encode(0, frames[0]), {1: FramePrompt("mask", mask=masks[0, 0])})
    session.step(session.encode(1, frames[1]), {2: FramePrompt("mask", mask=masks[1, 1])})
    feats = session.encode(2, frames[2])
    out = session.step(feats, write_memory=False)
    session.write_memory(feats, out, objects=[2])
    # group 0 (object 1): frame 0 prompt + frame 1 tracked; group 1 (object 2): frame 1 prompt + frame 2
    assert session.memory_sizes() == {0: (1, 1), 1: (1, 1)}
