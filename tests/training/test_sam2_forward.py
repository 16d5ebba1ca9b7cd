"""Our SAM2VideoTrainer forward equals Meta's SAM2Train on the same inputs and prompts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from sam2.modeling.sam2_utils import get_next_point, sample_box_points

from sam2_video.model.meta import meta_model_tree
from sam2_video.model.sam2_train import FirstFramePrompts
from sam2_video.prompt import PromptSpec


def _meta_train_model(model_cfg, ours, kind: str):
    from omegaconf import OmegaConf

    tree = meta_model_tree(model_cfg, "training.model.sam2.SAM2Train")
    tree.update(PromptSpec().train.sam2train_kwargs())  # the training prompting our builder used
    tree["prob_to_use_pt_input_for_train"] = 0.0 if kind == "mask" else 1.0
    tree["prob_to_use_box_input_for_train"] = 1.0 if kind == "box" else 0.0
    meta = instantiate(OmegaConf.create(tree))
    meta.load_state_dict(ours.state_dict())
    return meta


def _run(model, dp, seed, **kwargs):
    model.train()
    model.rng = np.random.default_rng(7)
    torch.manual_seed(seed)
    pre = kwargs.pop("pre_consume", None)
    if pre is not None:
        pre()  # consume torch RNG exactly as Meta's first-frame sampling does
    return model(dp, **kwargs)


@pytest.mark.parametrize("kind", ["mask", "point", "box"])
def test_forward_equals_meta_sam2train(debug_model, debug_model_cfg, make_datapoint, kind):
    dp = make_datapoint(T=5, O=3)
    meta = _meta_train_model(debug_model_cfg, debug_model, kind)
    gt0 = dp.masks[0].unsqueeze(1)  # (O, 1, H, W)

    def sample():
        if kind == "box":
            return sample_box_points(gt0)
        return get_next_point(gt_masks=gt0, pred_masks=None, method="uniform")

    torch.manual_seed(3)
    coords, labels = sample()
    if kind == "box":
        prompts = FirstFramePrompts(coords[:, :1], torch.ones(3, 1, dtype=torch.int32), coords.reshape(-1, 4))
    else:
        prompts = FirstFramePrompts(coords, labels, torch.zeros(3, 4))
    theirs = _run(meta, dp, seed=3)
    ours = _run(debug_model, dp, seed=3, prompts=prompts, prompt_kind=kind, pre_consume=sample)
    assert len(ours) == len(theirs) == 5
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert len(a["multistep_pred_ious"]) == len(b["multistep_pred_ious"])
        torch.testing.assert_close(a["pred_masks_high_res"], b["pred_masks_high_res"], msg=f"frame {t}")
        for x, y in zip(a["multistep_pred_multimasks_high_res"], b["multistep_pred_multimasks_high_res"]):
            torch.testing.assert_close(x, y)
        torch.testing.assert_close(a["multistep_object_score_logits"][-1], b["multistep_object_score_logits"][-1])


def test_prompts_from_batch_are_used(debug_model, make_datapoint):
    """A different first-frame point changes the first frame's prediction (the prompt is used)."""
    dp = make_datapoint(T=3, O=3)
    inside = FirstFramePrompts(torch.tensor([[[20.0, 20.0]], [[40.0, 50.0]], [[60.0, 80.0]]]),
                               torch.ones(3, 1, dtype=torch.int32), torch.zeros(3, 4))
    outside = FirstFramePrompts(torch.full((3, 1, 2), 120.0), torch.ones(3, 1, dtype=torch.int32), torch.zeros(3, 4))
    key = "multistep_object_score_logits"  # step 0 = the prompt alone (random masks are all "no object")
    a = _run(debug_model, dp, 0, prompts=inside, prompt_kind="point")[0][key][0]
    b = _run(debug_model, dp, 0, prompts=outside, prompt_kind="point")[0][key][0]
    assert not torch.allclose(a, b)
