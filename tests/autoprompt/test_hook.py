"""The learned prompt plugs into SAM2's conditioning step (session, replace / add, own CNN)."""

from __future__ import annotations

import pytest
import torch

from sam2_video.inference import FrameGeometry, TrackingSession
from sam2_video.prompt import FramePrompt
from tests.autoprompt.conftest import auto_cfg, make_auto_model
from tests.conftest import shapes_video


def run_session(model, frames, prompt_frames=(0,), cats=(1, 2, 3)):
    s = TrackingSession(model, FrameGeometry(*frames.shape[1:3], model.image_size), memory_dtype=None)
    outs = []
    for t, f in enumerate(frames):
        p = {c: FramePrompt("auto", category=c) for c in cats} if t in prompt_frames else None
        outs.append(s.step(s.encode(t, f), p).low_res_logits)
    return torch.stack(outs)  # (T, O, 1, h, w)


def test_auto_prompt_is_class_aware_and_tracked(auto_model):
    frames, _ = shapes_video(t_len=4)
    out = run_session(auto_model, frames)
    assert out.shape[:2] == (4, 3)
    assert not torch.allclose(out[0, 0], out[0, 1])  # each category gets its own prompt
    # the learned prompt is what changed: SAM2's plain "no input" decode is the same for every object
    plain = TrackingSession(auto_model, FrameGeometry(*frames.shape[1:3], auto_model.image_size), memory_dtype=None)
    p0 = plain.step(plain.encode(0, frames[0]), {c: FramePrompt("auto") for c in (1, 2, 3)}).low_res_logits
    assert torch.allclose(p0[0], p0[1]) and not torch.allclose(p0[0], out[0, 0])


def test_replace_vs_add_switch():
    frames, _ = shapes_video(t_len=1)
    rep = run_session(make_auto_model(auto_cfg()), frames)
    add = run_session(make_auto_model(auto_cfg("model.auto_prompt.encoder.mode=add")), frames)
    assert not torch.allclose(rep, add)


def test_own_cnn_encoder_and_sparse_tokens():
    cfg = auto_cfg("model.auto_prompt.encoder._target_=sam2_video.autoprompt.encoder.ImagePromptEncoder",
                   "+model.auto_prompt.encoder.input_size=64", "model.auto_prompt.encoder.num_sparse_tokens=2")
    model = make_auto_model(cfg)
    frames, _ = shapes_video(t_len=3)
    out = run_session(model, frames)
    assert torch.isfinite(out).all() and out.shape[:2] == (3, 3)
    # the CNN reads the image: a different frame 0 changes the prompted prediction
    other = frames.copy()
    other[0] = 255 - other[0]
    assert not torch.allclose(out[0], run_session(model, other)[0])


def test_unknown_category_is_one_clear_error(auto_model):
    from sam2_video.errors import ConfigError

    frames, _ = shapes_video(t_len=1)
    with pytest.raises(ConfigError, match="category_ids"):
        run_session(auto_model, frames, cats=(1, 7))
