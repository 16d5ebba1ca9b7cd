"""Auto-prompting inside the loop on the generated occlusion scene (sam2_video.data.occlusion_scenes),
``autoprompt_mode=always`` (every due re-prompt applied); confirm mode: test_confirmed_reprompt.py.

What is asserted is the loop's behaviour (which frames are re-prompted, from which mask); whether the
re-prompts recover the object depends on the weights: tests/stream/test_occlusion_recovery.py (slow,
a fitted model) and bench/bench_stream_recovery.py measure that.
"""

from __future__ import annotations

import numpy as np
import torch

from sam2_video.stream.recovery import stream_from_mask
from sam2_video.pipeline.chain import Chain
from sam2_video.data.occlusion_scenes import occlusion_video
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import IteratorSource


def _frames(model, video, n, **kw):
    return list(stream_from_mask(model, video, n, **kw))


def test_occlusion_scene_hides_the_object_and_it_reappears():
    v = occlusion_video(seed=1)
    assert v.before and v.hidden and v.clear and max(v.before) < min(v.hidden) and min(v.clear) > max(v.hidden)
    assert v.masks[0].sum() > 500 and not v.masks[v.hidden].any() and v.masks[v.clear].all(axis=0).any()
    assert len(v.hidden) >= 8  # hidden longer than SAM2's memory window (num_maskmem 7): memory holds only "absent"


def test_reprompt_cadence_and_hold(debug_model):  # autoprompt_mode=always (confirm: test_confirmed_reprompt.py)
    v = occlusion_video(num_frames=12, seed=0)
    plain = _frames(debug_model, v, 12)
    assert not any(f.autoprompted for f in plain)
    every3 = _frames(debug_model, v, 12, autoprompt_every=3, autoprompt_hold=20, autoprompt_mode="always")
    assert [f.index for f in every3 if f.autoprompted] == [3, 6, 9]
    assert all(f.memory_written for f in every3 if f.autoprompted)  # a prompted frame is a conditioning entry
    # the seed mask stays the last good one for `hold` frames at least: every frame up to hold + 1 re-prompted
    held = _frames(debug_model, v, 12, autoprompt_every=1, autoprompt_hold=4, autoprompt_mode="always")
    assert all(1 in f.autoprompted for f in held[1:6])
    # re-prompted frames differ from plain tracking (SAM2 ran on a box + point instead of memory)
    assert any(not np.array_equal(a.masks, b.masks) for a, b in zip(plain[1:], held[1:]))


def test_prompt_free_seed_starts_every_category(debug_model):
    """``stream.seed=auto`` prompts every category of the learned encoder on frame 0, as predict.py does."""
    from sam2_video.pipeline.planners.auto import AutoPrompts, AutoPromptSchedule

    v = occlusion_video(num_frames=4, seed=0)
    s = StreamSettings(source="folder", path="-", seed="auto", progress=False)
    seed = AutoPrompts([1, 2, 3], AutoPromptSchedule(), None)  # a live stream: length unknown
    frames = list(Chain(debug_model, s).frames(IteratorSource(list(v.frames), "occ"), seed))
    assert frames[0].prompted == {1, 2, 3} and all(f.object_ids == [1, 2, 3] for f in frames)
    assert not any(f.prompted for f in frames[1:])
    assert all(f.masks.shape == (3, *v.frames.shape[1:3]) for f in frames)


def test_vanished_object_is_reprompted_from_its_last_mask_for_hold_frames_then_left_to_memory(debug_model, monkeypatch):
    """The object "vanishes" right after the seed (object-score bias -30: every SAM2 output is empty):
    frames 1 .. hold + 1 are re-prompted with the seed mask's box + centre point, no frame after."""
    import copy

    from sam2_video.prompt.sampler import center_point, tight_box
    from sam2_video.inference.session import TrackingSession

    model = copy.deepcopy(debug_model)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias -= 30.0
    v = occlusion_video(num_frames=14, seed=2)
    sent: list[tuple[int, dict]] = []
    step = TrackingSession.step

    def spy(self, feats, prompts, **kw):
        sent.append((feats.frame, dict(prompts or {})))
        return step(self, feats, prompts, **kw)

    monkeypatch.setattr(TrackingSession, "step", spy)  # records the prompts SAM2 is given, changes nothing

    for hold in (0, 3, 6):
        sent.clear()
        frames = _frames(model, v, 14, autoprompt_every=1, autoprompt_hold=hold, autoprompt_mode="always")
        seed_out = frames[0].masks[0]  # the seed mask through SAM2's low-res mask
        assert seed_out.any() and not any(f.masks.any() for f in frames[1:])  # gone from frame 1 on
        assert [t for t, _ in sent] == list(range(14))
        assert [f.index for f in frames if f.autoprompted] == list(range(1, hold + 2))
        for t, prompts in sent[1 : hold + 2]:
            p = prompts[1]
            assert p.kind == "box" and np.array_equal(p.box, tight_box(seed_out).astype(np.float32))
            assert np.array_equal(p.points[0], center_point(seed_out).astype(np.float32))
        assert not any(prompts for _, prompts in sent[hold + 2 :])  # after the hold: memory only
