"""Kind ``auto`` in training: the conditioning frames get no input; the mix keeps Meta's draws."""

from __future__ import annotations

import torch

from sam2_video.model.builder import build_sam2_model
from sam2_video.prompt import PromptSpec, TrainPrompting


def _spec(**mix) -> PromptSpec:
    return PromptSpec(train=TrainPrompting(mix=mix))


def test_forced_auto_passes_nothing_and_still_tracks(debug_model, make_datapoint):
    dp = make_datapoint(T=4, O=3)
    debug_model.train()
    out = debug_model.prepare_prompt_inputs({}, dp, prompt_kind="auto")
    assert out["init_cond_frames"] and out["mask_inputs_per_frame"] == {} and out["point_inputs_per_frame"] == {}
    assert out["frames_to_add_correction_pt"] == [] and out["use_pt_input"] is False
    with torch.no_grad():
        auto = debug_model(dp, prompt_kind="auto")
        masked = debug_model(dp, prompt_kind="mask")
    assert len(auto) == 4 and all(torch.isfinite(o["pred_masks_high_res"]).all() for o in auto)
    assert not torch.allclose(auto[0]["pred_masks_high_res"], masked[0]["pred_masks_high_res"])


def test_auto_in_the_training_mix_is_drawn_without_extra_draws(debug_model_cfg, make_datapoint):
    dp = make_datapoint(T=5, O=2)
    mixed = build_sam2_model(debug_model_cfg, prompt=_spec(mask=1.0, auto=1.0)).train()
    plain = build_sam2_model(debug_model_cfg, prompt=_spec(mask=1.0)).train()
    kinds = []
    for _ in range(30):
        a, b = mixed.prepare_prompt_inputs({}, dp), plain.prepare_prompt_inputs({}, dp)
        assert a["init_cond_frames"] == b["init_cond_frames"]  # same rng stream: auto costs no draw
        assert b["mask_inputs_per_frame"].keys() == set(b["init_cond_frames"])
        if a["mask_inputs_per_frame"]:
            kinds.append("mask")
            assert a["mask_inputs_per_frame"].keys() == set(a["init_cond_frames"])
        else:
            kinds.append("auto")
            assert a["point_inputs_per_frame"] == {}
    assert 5 < kinds.count("auto") < 25  # about half of 30


def test_unknown_kind_is_refused(debug_model, make_datapoint):
    import pytest

    with pytest.raises(ValueError, match="lasso"):
        debug_model(make_datapoint(T=2, O=1), prompt_kind="lasso")
