"""SAM2 normalisation and its inverse."""

from __future__ import annotations

import numpy as np

from sam2_video.data.normalize import SAM2_MEAN, SAM2_STD, denormalize_frames, normalize_frames


def test_round_trip_and_values():
    frames = np.random.default_rng(0).integers(0, 256, size=(2, 5, 7, 3), dtype=np.uint8)
    x = normalize_frames(frames)
    assert x.shape == (2, 3, 5, 7) and x.is_contiguous()
    expect = (frames[1, 2, 3] / 255.0 - np.array(SAM2_MEAN)) / np.array(SAM2_STD)
    assert np.allclose(x[1, :, 2, 3].numpy(), expect, atol=1e-5)
    back = denormalize_frames(x)
    assert back.flags["C_CONTIGUOUS"] and np.array_equal(back, frames)
