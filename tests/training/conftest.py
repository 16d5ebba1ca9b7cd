"""Fixtures for training tests: a debug SAM2 and a hand-made BatchedVideoDatapoint."""

from __future__ import annotations

import pytest
import torch
from training.utils.data_utils import BatchedVideoDatapoint, BatchedVideoMetaData

from sam2_video.config import compose_config
from sam2_video.model.builder import build_sam2_model


def _make_datapoint(T: int = 4, O: int = 3, size: int = 128, seed: int = 0) -> BatchedVideoDatapoint:
    """One clip (B=1) of random frames with O moving rectangles; object 2 leaves after frame 1."""
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(T, O, size, size, dtype=torch.bool)
    for t in range(T):
        for o in range(O):
            if o == 2 and t >= 2:
                continue
            y, x = 8 + 30 * o, 10 + 6 * t + 20 * o
            masks[t, o, y:y + 28, x:x + 36] = True
    idx = torch.stack([torch.stack([torch.full((O,), t), torch.zeros(O, dtype=torch.long)], -1) for t in range(T)])
    return BatchedVideoDatapoint(
        img_batch=torch.randn(T, 1, 3, size, size, generator=g),
        obj_to_frame_idx=idx.int(),
        masks=masks,
        metadata=BatchedVideoMetaData(
            unique_objects_identifier=torch.zeros(T, O, 3, dtype=torch.long),
            frame_orig_size=torch.full((T, O, 2), size, dtype=torch.long),
        ),
        dict_key="test",
        batch_size=[T],
    )


@pytest.fixture
def debug_model_cfg():
    return compose_config(["sam2=debug", "output_dir=/tmp/unused"]).model


@pytest.fixture
def debug_model(debug_model_cfg):
    torch.manual_seed(0)
    return build_sam2_model(debug_model_cfg)


@pytest.fixture
def make_datapoint():
    return _make_datapoint
