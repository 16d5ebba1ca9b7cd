"""Confirmed re-prompting (``stream.autoprompt_mode=confirm``, sam2_video.pipeline.reprompt).

With random debug weights SAM2's answers are arbitrary, so what is asserted is the loop's contract:
an object SAM2 still tracks plausibly is not re-prompted; a re-prompt whose answer is not the object
leaves no trace (masks and memory equal plain propagation's, bit for bit); an accepted answer is
shown and committed exactly as an applied re-prompt (``always`` mode) is. Recovery itself, with a
fitted model: tests/stream/test_occlusion_recovery.py.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from sam2_video.errors import ConfigError
from sam2_video.inference.session import TrackingSession
from sam2_video.pipeline import reprompt
from sam2_video.pipeline.last_seen import LastSeen, plausible, remember
from sam2_video.stream.recovery import stream_from_mask
from sam2_video.data.occlusion_scenes import reveal_video
from sam2_video.pipeline.settings import StreamSettings


def _frames(model, video, n, **kw):
    return list(stream_from_mask(model, video, n, **kw))


@pytest.fixture()
def spy_steps(monkeypatch):
    """Records (frame, prompted objects, commit_prompts) of every TrackingSession.step; changes nothing."""
    calls: list[tuple[int, tuple, bool]] = []
    step = TrackingSession.step

    def spy(self, feats, prompts=None, **kw):
        calls.append((feats.frame, tuple(sorted(prompts or {})), kw.get("commit_prompts", True)))
        return step(self, feats, prompts, **kw)

    monkeypatch.setattr(TrackingSession, "step", spy)
    return calls


def test_rejected_reprompts_leave_no_trace(debug_model, spy_steps):
    """Object-score bias -30: every answer is empty, so the object is lost from frame 1 and every
    re-prompt (tentative, frames 1 .. hold + 1) is rejected: masks equal plain propagation's exactly."""
    model = copy.deepcopy(debug_model)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias -= 30.0
    v = reveal_video(num_frames=10, seed=0)
    plain = _frames(model, v, 10)
    spy_steps.clear()
    confirm = _frames(model, v, 10, autoprompt_every=1, autoprompt_hold=3)
    tentative = [t for t, objs, commit in spy_steps if objs and not commit]
    assert tentative == [1, 2, 3, 4]  # seen on frame 0, looked for until hold + 1
    assert not any(f.autoprompted for f in confirm)
    for a, b in zip(plain, confirm):
        assert np.array_equal(a.masks, b.masks) and a.memory_written == b.memory_written


def test_object_tracked_plausibly_is_not_reprompted(debug_model, spy_steps, monkeypatch):
    monkeypatch.setattr(reprompt, "plausible", lambda *a, **k: True)
    v = reveal_video(num_frames=8, seed=1)
    plain = _frames(debug_model, v, 8)
    spy_steps.clear()
    confirm = _frames(debug_model, v, 8, autoprompt_every=1)
    assert [objs for _, objs, _ in spy_steps] == [(1,)] + [()] * 7  # the seed, then memory only
    assert all(np.array_equal(a.masks, b.masks) for a, b in zip(plain, confirm))


def test_accepted_answer_equals_an_applied_reprompt(debug_model, monkeypatch):
    """Every tracked mask judged lost, every answer accepted: the stream equals ``always`` mode (the
    same re-prompt applied and written as a conditioning entry by step itself), bit for bit."""
    verdicts = iter([False, True] * 100)  # per due frame: the tracked mask, then the answer
    monkeypatch.setattr(reprompt, "plausible", lambda *a, **k: next(verdicts))
    v = reveal_video(num_frames=9, seed=2)
    always = _frames(debug_model, v, 9, autoprompt_every=2, autoprompt_hold=20, autoprompt_mode="always")
    confirm = _frames(debug_model, v, 9, autoprompt_every=2, autoprompt_hold=20)
    assert [f.index for f in confirm if f.autoprompted] == [f.index for f in always if f.autoprompted] == [2, 4, 6, 8]
    for a, b in zip(always, confirm):
        assert np.array_equal(a.masks, b.masks) and torch.equal(a.logits, b.logits), a.index
        assert a.memory_written == b.memory_written


def test_plausible_uses_the_full_area_and_optionally_the_look():
    full = np.zeros((20, 20), bool)
    full[5:15, 5:15] = True  # 100 px
    last: dict[int, LastSeen] = {}
    for t, rows in enumerate([10, 9, 7, 5, 4]):  # being covered: 100, 90, 70, 50, 40 px
        m = np.zeros_like(full)
        m[5 : 5 + rows, 5:15] = True
        last = remember(last, t, [1], m[None])
    assert last[1].frame == 3 and last[1].area == 100  # the 40 px sliver is not the object; 50 px still is
    swallowed = np.zeros_like(full)
    swallowed[0:20, 0:13] = True  # 260 px: the object and what covered it
    assert plausible(full, last[1]) and not plausible(swallowed, last[1])
    assert not plausible(np.zeros_like(full), last[1])
    a, b = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    seen = LastSeen(0, full, a, (100,))
    assert plausible(full, seen, b) and plausible(full, seen, b, min_similarity=None)
    assert not plausible(full, seen, b, min_similarity=0.5) and plausible(full, seen, a, min_similarity=0.5)


def test_reveal_scene_hides_then_uncovers_a_restyled_object():
    v = reveal_video(seed=3)
    assert v.before == list(range(1, 16)) and v.hidden == list(range(16, 30)) and v.clear == list(range(30, 48))
    inside = v.masks[40] & v.masks[10]
    assert inside.sum() > 400 and not np.array_equal(v.frames[40][inside], v.frames[10][inside])  # new look
    same = reveal_video(seed=3, restyle=False)
    assert np.abs(same.frames[40][inside].astype(int) - same.frames[10][inside].astype(int)).mean() < \
        np.abs(v.frames[40][inside].astype(int) - v.frames[10][inside].astype(int)).mean()


@pytest.mark.parametrize("key,value", [("autoprompt_mode", "sometimes"), ("autoprompt_max_growth", 1.0),
                                       ("autoprompt_min_similarity", 1.5)])
def test_bad_confirm_settings_are_refused(key, value):
    with pytest.raises(ConfigError, match=f"stream.{key}"):
        StreamSettings(**{key: value}).validate()
