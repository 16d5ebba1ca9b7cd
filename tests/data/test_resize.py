"""Resize to the model input and back: exact for masks when the model size is not smaller."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2_video.data.resize import PAD_RGB, geometry, inverse_resize, resize_image, resize_masks, scale_points


def _random_masks(rng, n, h, w):
    """Blobby masks (thresholded smooth noise) so that edges are irregular."""
    import cv2

    noise = rng.normal(size=(n, h // 4 + 1, w // 4 + 1)).astype(np.float32)
    return np.stack([cv2.resize(x, (w, h), interpolation=cv2.INTER_LINEAR) > 0.3 for x in noise])


@pytest.mark.parametrize("mode", ["letterbox", "square"])
@pytest.mark.parametrize("hw,size", [((96, 128), 128), ((50, 70), 128), ((64, 64), 96)])
def test_mask_round_trip_is_exact(mode, hw, size):
    rng = np.random.default_rng(0)
    masks = _random_masks(rng, 11, *hw)  # 11 > 8: two packed chunks
    geo = geometry(hw, size, mode)
    small = resize_masks(masks, geo)
    assert small.shape == (11, size, size)
    back_np = inverse_resize(small, hw, mode)
    back_t = inverse_resize(torch.from_numpy(small), hw, mode)
    assert back_np.dtype == bool and back_np.shape == (11, *hw)
    assert np.array_equal(back_np, masks)
    assert torch.equal(back_t, torch.from_numpy(masks))


def test_letterbox_geometry_pads_right_bottom():
    geo = geometry((96, 128), 64, "letterbox")
    assert (geo.new_h, geo.new_w) == (48, 64)
    img = np.full((96, 128, 3), 200, np.uint8)
    out = resize_image(img, geo)
    assert out.shape == (64, 64, 3)
    assert (out[:48] == 200).all() and (out[48:] == np.array(PAD_RGB, np.uint8)).all()
    m = resize_masks(np.ones((1, 96, 128), bool), geo)
    assert m[0, :48].all() and not m[0, 48:].any()
    assert np.allclose(scale_points(np.array([[127.0, 95.0]]), geo), [[63.5, 47.5]])


def test_inverse_resize_of_logits_is_bilinear_and_keeps_batch_dims():
    logits = torch.zeros(2, 3, 64, 64)
    logits[..., :32, :] = 5.0  # top half positive
    out = inverse_resize(logits, (96, 128), "letterbox")  # content occupies rows 0..47 of 64
    assert out.shape == (2, 3, 96, 128) and out.dtype == torch.float32
    frac = (out > 0).float().mean().item()
    assert abs(frac - 32 / 48) < 0.02


def test_bad_mode_rejected():
    with pytest.raises(ValueError, match="resize_mode"):
        geometry((10, 10), 32, "stretch")
