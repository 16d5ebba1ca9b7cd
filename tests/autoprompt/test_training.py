"""Training with the learned prompt: SAM2 frozen -> only the encoder changes; image and video mode."""

from __future__ import annotations

import pytest
import torch

from sam2_video.config import build


def _batch(cfg):
    dm = build(cfg.data)
    dm.prepare_data()
    dm.setup("fit")
    return next(iter(dm.train_dataloader()))


IMAGE_ENCODER = ["model.auto_prompt.encoder._target_=sam2_video.autoprompt.encoder.ImagePromptEncoder",
                 "+model.auto_prompt.encoder.input_size=64"]


@pytest.mark.parametrize("clip_length,extra", [(1, []), (3, []), (2, IMAGE_ENCODER)])  # image / video mode, own CNN
def test_frozen_sam2_only_prompt_encoder_changes(make_cfg, clip_length, extra):
    from sam2_video.training.module import build_module
    from sam2_video.training.losses import CORE_LOSS_KEY

    cfg = make_cfg("experiment=autosam2", "model.auto_prompt.encoder.hidden=16", f"data.clip_length={clip_length}",
                   "data.batch_size=2", *extra)
    module = build_module(cfg)
    module.train()
    before = {k: v.detach().clone() for k, v in module.model.state_dict().items()}
    trainable = [p for p in module.model.parameters() if p.requires_grad]
    names = {n.split(".")[0] for n, p in module.model.named_parameters() if p.requires_grad}
    assert names == {"auto_prompt"}
    opt = torch.optim.SGD(trainable, lr=0.5)
    batch = _batch(cfg)
    for _ in range(2):
        outs = module(batch)  # kind drawn from prompt.train.mix = {auto: 1}
        assert len(outs) == clip_length
        loss = module.loss(outs, batch.masks)
        assert float(loss["loss_class"].detach()) > 0  # the object score is supervised
        opt.zero_grad()
        loss[CORE_LOSS_KEY].backward()
        opt.step()
    after = module.model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("auto_prompt.") for k in changed), sorted(changed)[:5]


def test_auto_training_gives_no_gt_input_on_the_conditioning_frame(make_cfg):
    """Masks of the prompted frame must not depend on the GT when the kind is auto."""
    from sam2_video.training.module import build_module

    cfg = make_cfg("experiment=autosam2", "model.auto_prompt.encoder.hidden=16", "data.clip_length=2")
    module = build_module(cfg).eval()
    batch = _batch(cfg)
    with torch.no_grad():
        a = module(batch, prompt_kind="auto")[0]["pred_masks_high_res"]
        scrambled = batch.__class__(**{**batch.__dict__, "masks": torch.flip(batch.masks, dims=[-1])})
        b = module(scrambled, prompt_kind="auto")[0]["pred_masks_high_res"]
        c = module(batch, prompt_kind="mask")[0]["pred_masks_high_res"]
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
