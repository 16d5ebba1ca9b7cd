"""model.activation_checkpointing: the same loss and gradients, with the blocks actually recomputed."""

from __future__ import annotations

import numpy as np
import torch
from omegaconf import OmegaConf

import sam2_video.model.activation_checkpointing as act
from sam2_video.model.builder import build_sam2_model
from sam2_video.model.sam2_train import FirstFramePrompts


def _loss_and_grads(model, dp):
    model.train()
    model.rng = np.random.default_rng(7)
    torch.manual_seed(3)
    o = dp.masks.shape[1]
    prompts = FirstFramePrompts(torch.zeros(o, 1, 2), torch.zeros(o, 1, dtype=torch.int32), torch.zeros(o, 4))
    outs = model(dp, prompts, prompt_kind="mask")
    loss = sum((out["pred_masks_high_res"].sigmoid() - dp.masks[t].unsqueeze(1).float()).pow(2).mean()
               for t, out in enumerate(outs))
    model.zero_grad(set_to_none=True)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_same_loss_and_gradients_with_blocks_recomputed(debug_model_cfg, make_datapoint, monkeypatch):
    cfg = OmegaConf.merge(debug_model_cfg, {"trainable_modules": ["all"]})
    plain = build_sam2_model(cfg)
    ckpt = build_sam2_model(OmegaConf.merge(cfg, {"activation_checkpointing": True}))
    ckpt.load_state_dict(plain.state_dict())
    calls = []

    def counting(fn, *args, **kwargs):
        calls.append(fn)
        return torch.utils.checkpoint.checkpoint(fn, *args, **kwargs)

    monkeypatch.setattr(act, "checkpoint", counting)
    dp = make_datapoint(T=3, O=2)
    loss_a, grads_a = _loss_and_grads(plain, dp)
    loss_b, grads_b = _loss_and_grads(ckpt, dp)
    n_blocks = len(ckpt.image_encoder.trunk.blocks) + len(ckpt.memory_attention.layers)
    assert len(calls) >= n_blocks  # every block went through torch.utils.checkpoint
    torch.testing.assert_close(loss_b, loss_a)
    assert grads_a.keys() == grads_b.keys() and any(n.startswith("image_encoder.") for n in grads_a)
    for name in grads_a:
        torch.testing.assert_close(grads_b[name], grads_a[name], rtol=1e-5, atol=1e-6, msg=name)
    # no gradients (validation / evaluation): the blocks run as usual
    calls.clear()
    with torch.no_grad():
        ckpt.eval().forward_image(dp.img_batch[0])
    assert calls == []
    assert set(ckpt.state_dict()) == set(plain.state_dict())  # names unchanged: exports stay official
