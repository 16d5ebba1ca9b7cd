"""Our loss equals Meta's MultiStepMultiMasksAndIous with the official preset; extra terms work."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from training.loss_fns import MultiStepMultiMasksAndIous

from sam2_video.config import build, compose_config
from sam2_video.errors import ConfigError
from sam2_video.training.losses import CORE_LOSS_KEY


def _meta_loss(cfg_loss):
    w = {k: v for k, v in cfg_loss.weight_dict.items() if k in ("loss_mask", "loss_dice", "loss_iou", "loss_class")}
    return MultiStepMultiMasksAndIous(
        weight_dict=dict(w), focal_alpha=cfg_loss.focal_alpha, focal_gamma=cfg_loss.focal_gamma,
        supervise_all_iou=cfg_loss.supervise_all_iou, iou_use_l1_loss=cfg_loss.iou_use_l1_loss,
        pred_obj_scores=cfg_loss.pred_obj_scores, focal_gamma_obj_score=cfg_loss.focal_gamma_obj_score,
        focal_alpha_obj_score=cfg_loss.focal_alpha_obj_score,
    )


@pytest.fixture
def outputs(debug_model, make_datapoint):
    dp = make_datapoint(T=4, O=3)
    debug_model.train()
    debug_model.prob_to_use_pt_input_for_train = 1.0  # point prompts + correction clicks: multi-step outputs
    torch.manual_seed(0)
    return debug_model(dp), dp.masks


def test_official_preset_equals_meta(outputs):
    outs, targets = outputs
    cfg = compose_config(["sam2=debug", "output_dir=/tmp/unused"]).loss
    ours = instantiate(cfg)(outs, targets)
    meta = _meta_loss(cfg)(outs, targets)
    assert any(len(o["multistep_pred_ious"]) > 1 for o in outs)  # correction steps were exercised
    for key in ("loss_mask", "loss_dice", "loss_iou", "loss_class"):
        torch.testing.assert_close(ours[key], torch.as_tensor(meta[key], dtype=ours[key].dtype), atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(ours[CORE_LOSS_KEY], meta["core_loss"], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("supervise_all_iou", [True, False])
def test_official_preset_gradients_equal_meta(debug_model, make_datapoint, supervise_all_iou):
    """Only the chosen multimask output gets a graph (the choice is made without one): the values and
    the gradients on every trainable parameter still equal Meta's loss, bit for bit."""
    dp = make_datapoint(T=4, O=3)
    debug_model.train()
    debug_model.prob_to_use_pt_input_for_train = 1.0
    cfg = compose_config(["sam2=debug", "output_dir=/tmp/unused", f"loss.supervise_all_iou={supervise_all_iou}"]).loss
    results = []
    for loss_fn in (instantiate(cfg), _meta_loss(cfg)):
        torch.manual_seed(0)
        debug_model.rng = np.random.default_rng(0)  # the same prompt draws for both
        debug_model.zero_grad(set_to_none=True)
        outs = debug_model(dp)
        total = loss_fn(outs, dp.masks)[CORE_LOSS_KEY]
        total.backward()
        grads = {n: p.grad.clone() for n, p in debug_model.named_parameters() if p.grad is not None}
        results.append((total.detach(), grads))
    (ours, ours_grads), (meta, meta_grads) = results
    assert any(o["multistep_pred_multimasks_high_res"][0].shape[1] > 1 for o in outs)  # multimask steps were exercised
    assert torch.equal(ours, meta)
    assert ours_grads.keys() == meta_grads.keys() and len(ours_grads) > 10
    for name, g in ours_grads.items():
        assert torch.equal(g, meta_grads[name]), name


def test_weight_override_and_focal_params_change_total(outputs):
    outs, targets = outputs
    g = torch.Generator().manual_seed(0)  # moderate logits, so focal gamma matters
    outs = [dict(o, multistep_pred_multimasks_high_res=[torch.randn(m.shape, generator=g)
                                                         for m in o["multistep_pred_multimasks_high_res"]])
            for o in outs]
    base = instantiate(compose_config(["output_dir=/x"]).loss)(outs, targets)
    cfg = compose_config(["output_dir=/x", "loss.weight_dict.loss_mask=30", "loss.focal_gamma=2.5"]).loss
    assert cfg.weight_dict.loss_mask == 30 and cfg.focal_gamma == 2.5
    changed = instantiate(cfg)(outs, targets)
    expected_without_focal = base[CORE_LOSS_KEY] - 20 * base["loss_mask"]
    torch.testing.assert_close(changed[CORE_LOSS_KEY], expected_without_focal + 30 * changed["loss_mask"])
    assert not torch.isclose(changed["loss_mask"], base["loss_mask"])


@pytest.mark.parametrize("preset", ["equal", "dice_main", "focal_main", "dice_only"])
def test_presets_compose_and_weight_terms(outputs, preset):
    outs, targets = outputs
    cfg = compose_config(["output_dir=/x", f"loss={preset}"]).loss
    losses = instantiate(cfg)(outs, targets)
    total = sum(losses[k] * w for k, w in cfg.weight_dict.items())
    torch.testing.assert_close(losses[CORE_LOSS_KEY], total)


def test_bce_and_temporal_terms(outputs):
    outs, targets = outputs
    cfg = compose_config(["output_dir=/x", "loss.weight_dict.loss_bce=1", "loss.weight_dict.loss_temporal=1"]).loss
    losses = instantiate(cfg)(outs, targets)
    assert losses["loss_bce"] > 0 and losses["loss_temporal"] > 0
    # temporal term is zero when the prediction changes exactly like the ground truth
    perfect = [dict(o, pred_masks_high_res=(targets[t].float().unsqueeze(1) * 200 - 100)) for t, o in enumerate(outs)]
    assert instantiate(cfg)(perfect, targets)["loss_temporal"] < 1e-6


def test_unknown_term_rejected():
    cfg = compose_config(["output_dir=/x", "+loss.weight_dict.loss_typo=1"]).loss
    with pytest.raises(ConfigError, match="loss_typo"):
        build(cfg)
