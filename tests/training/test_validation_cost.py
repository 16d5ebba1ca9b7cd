"""What keeps validation cheap: a fixed, evenly spaced validation subset (``data.val_max_clips``) and
validation pictures drawn from the validation's own predictions (no extra forward)."""

from __future__ import annotations

import pytest

from sam2_video.config import build
from sam2_video.errors import ConfigError


def test_val_max_clips_keeps_evenly_spaced_clips(make_cfg):
    full = build(make_cfg("data.clip_length=3", "data.val_clip_stride=3").data)
    full.setup("fit")
    n = len(full.datasets["val"])
    assert n >= 4
    sub = build(make_cfg("data.clip_length=3", "data.val_clip_stride=3", "data.val_max_clips=3").data)
    sub.setup("fit")
    ids = [sub.val_dataloader().dataset[i].clip_id for i in range(len(sub.val_dataloader().dataset))]
    every = [full.datasets["val"][i].clip_id for i in range(n)]
    assert len(ids) == 3 and ids[0] == every[0] and ids[-1] == every[-1] and ids[1] in every[1:-1]
    with pytest.raises(ConfigError, match="val_max_clips"):
        build(make_cfg("data.val_max_clips=0").data)


@pytest.mark.parametrize("limit,extra", [(None, 0), (1, 1)])
def test_pictures_reuse_the_validation_forwards(make_cfg, tmp_path, limit, extra):
    """All pictured clips validated: no forward beyond the validation's; a pictured clip the validation
    skipped (limit_val_batches) gets exactly one batched extra forward."""
    from sam2_video.training.module import build_module
    from sam2_video.training.run_setup import build_callbacks, build_trainer

    overrides = ["callbacks.val_vis.count=2", "callbacks.val_vis.tile=32", "data.clip_length=3",
                 "data.val_max_clips=3", f"output_dir={tmp_path / 'v'}"]
    if limit is not None:
        overrides.append(f"trainer.limit_val_batches={limit}")
    cfg = make_cfg(*overrides)
    dm, module = build(cfg.data), build_module(cfg)
    calls = []
    real_forward = module.forward

    def counting_forward(batch, prompt_kind=None):
        calls.append(len(batch.clip_ids))
        return real_forward(batch, prompt_kind=prompt_kind)

    module.forward = counting_forward
    trainer = build_trainer(cfg, build_callbacks(cfg, have_logger=False), [])
    trainer.validate(module, datamodule=dm, verbose=False)
    validated = 3 if limit is None else limit
    assert len(calls) == validated + extra
    pictures = sorted((tmp_path / "v" / "val_vis").rglob("*.png"))
    assert len(pictures) == 2
