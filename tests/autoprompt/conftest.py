"""Fixtures: the debug SAM2 with a learned prompt encoder (random weights, masks made non-empty)."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import compose_cfg


def auto_cfg(*extra: str):
    return compose_cfg(["sam2=debug", "model.auto_prompt.enabled=true", "model.auto_prompt.encoder.hidden=16", *extra])


def make_auto_model(cfg, seed: int = 0):
    from sam2_video.model.builder import build_sam2_model

    torch.manual_seed(seed)
    model = build_sam2_model(cfg.model)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 20.0  # objects present: non-empty masks
        for p in model.auto_prompt.parameters():  # distinct, non-trivial prompts per category
            p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


@pytest.fixture(scope="module")
def auto_model():
    return make_auto_model(auto_cfg())
