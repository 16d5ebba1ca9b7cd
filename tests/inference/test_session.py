"""The public tracking session: frame-by-frame stepping, external memory writes, memory policy."""

from __future__ import annotations

import pytest
import torch

from sam2_video.errors import ConfigError
from sam2_video.inference import FrameGeometry, MemoryPolicy, TrackingSession
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.source import IteratorSource
from sam2_video.prompt import FramePrompt


def _session(model, frames, policy=MemoryPolicy()):
    return TrackingSession(model, FrameGeometry(*frames.shape[1:3], model.image_size), policy, num_frames=len(frames))


def _run(model, frames, prompts, policy=MemoryPolicy(), external=None):
    """Step every frame; ``external(t, out)`` may return mask logits to write as memory instead."""
    session = _session(model, frames, policy)
    outs = []
    for t in range(len(frames)):
        feats = session.encode(t, frames[t])
        if external is None:
            out = session.step(feats, prompts.get(t))
        else:
            out = session.step(feats, prompts.get(t), write_memory=False)
            logits = external(t, out)
            if logits is not None and not out.prompted:
                session.write_memory(feats, out, logits)
        outs.append(out)
    return session, outs


def _mask_prompts(masks, objects=(0, 1)):
    return {0: {o + 1: FramePrompt("mask", mask=masks[0, o]) for o in objects}}


def test_frame_by_frame_equals_whole_video_propagation(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    prompts = _mask_prompts(masks)
    _, outs = _run(debug_model, frames, prompts)
    # the pipeline's chain, encode_batch=1: the same per-frame encoder calls as the session above, so bit-exact
    chain = Chain(debug_model, StreamSettings(progress=False), encode_batch=1)
    whole = list(chain.frames(IteratorSource(list(frames)), lambda t: prompts.get(t, {}), len(frames)))
    assert [o.object_ids for o in outs] == [w.object_ids for w in whole] == [[1, 2]] * len(frames)
    for a, b in zip(outs, whole):
        assert torch.equal(a.low_res_logits, b.low_res)
        assert a.object_score_logits.shape == (2, 1)
    assert outs[0].prompted == {1, 2} and not outs[1].prompted and all(o.memory_written for o in outs)


def test_external_memory_write_of_own_prediction_is_identity(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    prompts = _mask_prompts(masks)
    _, own = _run(debug_model, frames, prompts)
    _, ext = _run(debug_model, frames, prompts, external=lambda t, out: out.low_res_logits)
    for a, b in zip(own, ext):
        torch.testing.assert_close(a.low_res_logits, b.low_res_logits, atol=1e-4, rtol=1e-4)
    assert not ext[1].memory_written


def test_external_mask_memory_is_what_later_frames_read(debug_model, jpeg_video):
    """Memory written from an external mask (ground truth as a stand-in for a refined mask) is what
    later frames read: two different external masks give different tracks, the same one the same."""
    _, frames, masks = jpeg_video
    prompts = _mask_prompts(masks, objects=(0,))
    size = debug_model.image_size // 4

    def gt_logits(t, out, empty=False):
        m = torch.from_numpy(masks[t, :1]).float()[None]  # (1, 1, H, W)
        m = torch.nn.functional.interpolate(m, size=(size, size), mode="bilinear", align_corners=False)
        return torch.full_like(m, -20.0) if empty else (m - 0.5) * 40.0

    _, good = _run(debug_model, frames, prompts, external=gt_logits)
    _, again = _run(debug_model, frames, prompts, external=gt_logits)
    _, empty = _run(debug_model, frames, prompts, external=lambda t, o: gt_logits(t, o, empty=True))
    assert torch.equal(good[1].low_res_logits, empty[1].low_res_logits)  # frame 1 reads only the prompt
    for t in range(2, len(frames)):
        assert torch.equal(good[t].low_res_logits, again[t].low_res_logits)
        assert not torch.equal(good[t].low_res_logits, empty[t].low_res_logits)


def test_external_mask_as_conditioning_entry(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    session = _session(debug_model, frames)
    out = session.step(session.encode(0, frames[0]), _mask_prompts(masks, objects=(0,))[0])
    feats = session.encode(1, frames[1])
    out = session.step(feats, write_memory=False)
    assert sorted(session._groups[0].memory.non_cond) == []
    session.write_memory(feats, out, conditioning=True)
    assert sorted(session._groups[0].memory.cond) == [0, 1]


def test_write_every_k_frames(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    prompts = _mask_prompts(masks, objects=(0,))
    s1, every = _run(debug_model, frames, prompts)
    s3, third = _run(debug_model, frames, prompts, MemoryPolicy(write_every=3))
    assert [o.memory_written for o in third] == [t % 3 == 0 for t in range(len(frames))]
    assert sorted(s3._groups[0].memory.non_cond) == [3, 6, 9]
    # frame 1 reads only the prompted frame in both runs; frame 2 misses frame 1's memory with K = 3
    assert torch.equal(every[1].low_res_logits, third[1].low_res_logits)
    assert not torch.equal(every[2].low_res_logits, third[2].low_res_logits)


def test_compact_view_and_caps(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    prompts = {t: {1: FramePrompt("mask", mask=masks[t, 0])} for t in (0, 4, 5, 7)}
    session, outs = _run(debug_model, frames, prompts, MemoryPolicy(write_every=2, max_entries=2, max_cond_entries=2,
                                                                    compact=True))
    bank = session._groups[0].memory
    assert sorted(bank.cond) == [0, 7]  # first prompt kept, then the newest
    assert len(bank.non_cond) == 2 and sorted(bank.non_cond) == [6, 8]
    view = bank.view(10)["non_cond_frame_outputs"]
    assert sorted(view) == [8, 9] and view[9] is bank.non_cond[8]  # written entries seen as consecutive
    assert session.memory_sizes() == {0: (2, 2)}


def test_auto_prompt_kind_runs_without_user_input(debug_model, jpeg_video):
    _, frames, _ = jpeg_video
    session, outs = _run(debug_model, frames[:3], {0: {5: FramePrompt("auto")}})
    assert outs[0].prompted == {5} and outs[2].object_ids == [5]
    assert outs[2].low_res_logits.shape == (1, 1, debug_model.image_size // 4, debug_model.image_size // 4)


@pytest.mark.parametrize("kwargs", [{"write_every": 0}, {"write_every": -2}, {"write_every": 1.5},
                                    {"max_entries": 0}, {"max_cond_entries": True}])
def test_bad_policy_values(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        MemoryPolicy(**kwargs)


def test_wrong_external_mask_shape(debug_model, jpeg_video):
    _, frames, masks = jpeg_video
    session = _session(debug_model, frames)
    feats = session.encode(0, frames[0])
    out = session.step(feats, _mask_prompts(masks)[0])
    with pytest.raises(ValueError, match="O=2"):
        session.write_memory(feats, out, torch.zeros(1, 1, 8, 8))


def test_encode_many_equals_encode(debug_model, jpeg_video):
    """Batched image encoding gives every frame the features of encoding it alone, same structure."""
    _, frames, _ = jpeg_video
    session = _session(debug_model, frames)
    many = session.encode_many([3, 4, 5], [frames[3], frames[4], frames[5]])
    assert [f.frame for f in many] == [3, 4, 5]
    for f in many:
        alone = session.encode(f.frame, frames[f.frame])
        assert alone.backbone.keys() == f.backbone.keys()
        for key in ("backbone_fpn", "vision_pos_enc"):
            assert len(alone.backbone[key]) == len(f.backbone[key])
            for a, b in zip(alone.backbone[key], f.backbone[key]):
                assert a.shape == b.shape and a.shape[0] == 1
                torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
