"""Augmentation keeps frames and masks aligned (a flipped-only mask or image would fail these)."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.data.augment import Augmentation


def _clip(t=3, s=64):
    """Frames whose bright pixels are exactly the masks: object 0 a left square, object 1 a top-right bar."""
    masks = np.zeros((t, 2, s, s), bool)
    masks[:, 0, 10:30, 5:20] = True
    masks[:, 1, 4:12, 40:60] = True
    frames = np.full((t, s, s, 3), 20, np.uint8)
    frames[masks[:, 0]] = (250, 30, 30)
    frames[masks[:, 1]] = (30, 250, 30)
    return frames, masks


def _agreement(frames, masks):
    """Fraction of mask pixels whose colour is the object's colour (red / green channel dominant)."""
    red = frames[..., 0].astype(int) > frames[..., 1].astype(int) + 80
    green = frames[..., 1].astype(int) > frames[..., 0].astype(int) + 80
    return (red[masks[:, 0]].mean(), green[masks[:, 1]].mean())


@pytest.mark.parametrize("seed", range(4))
def test_geometric_augmentation_keeps_alignment(seed):
    frames, masks = _clip()
    aug = Augmentation(hflip_p=0.5, vflip_p=0.5, affine_p=1.0, rotate_deg=25, shear_deg=10, translate=0.1,
                       scale=(0.8, 1.25), color_p=0.0, grayscale_p=0.0, blur_p=0.0)
    f2, m2 = aug(frames, masks, np.random.default_rng(seed))
    assert f2.shape == frames.shape and m2.shape == masks.shape and m2.dtype == bool
    r, g = _agreement(f2, m2)
    assert r > 0.85 and g > 0.85
    assert (m2.sum(axis=(2, 3)) > 0).all()
    assert all(np.array_equal(m2[0], m2[i]) for i in range(1, len(m2)))  # same transform on every frame


def test_hflip_moves_mask_with_image():
    frames, masks = _clip()
    aug = Augmentation(hflip_p=1.0, affine_p=0.0, color_p=0.0, grayscale_p=0.0, blur_p=0.0)
    f2, m2 = aug(frames, masks, np.random.default_rng(0))
    assert m2[0, 0, 10:30, 64 - 20 : 64 - 5].all() and not m2[0, 0, 10:30, 5:20].any()
    assert _agreement(f2, m2) == (1.0, 1.0)
    assert not np.shares_memory(m2, masks)


def test_colour_changes_frames_not_masks_and_is_clip_consistent():
    frames, masks = _clip()
    aug = Augmentation(hflip_p=0.0, affine_p=0.0, color_p=1.0, brightness=0.5, hue=0.05, grayscale_p=0.0, blur_p=1.0)
    f2, m2 = aug(frames, masks, np.random.default_rng(3))
    assert np.array_equal(m2, masks) and not np.array_equal(f2, frames)
    assert np.array_equal(f2[0], f2[1])  # identical frames stay identical: one parameter set per clip


def test_deterministic_for_rng():
    frames, masks = _clip()
    aug = Augmentation(affine_p=1.0)
    a = aug(frames, masks, np.random.default_rng(9))
    b = aug(frames, masks, np.random.default_rng(9))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_colour_jitter_identity_and_brightness():
    frames, masks = _clip()
    rng = np.random.default_rng(0)
    off = Augmentation(hflip_p=0, affine_p=0, color_p=1.0, brightness=0, contrast=0, saturation=0, hue=0,
                       grayscale_p=0, blur_p=0)
    assert np.array_equal(off(frames, masks, rng)[0], frames)
    bright = Augmentation(hflip_p=0, affine_p=0, color_p=1.0, brightness=0.5, contrast=0, saturation=0, hue=0,
                          grayscale_p=0, blur_p=0)
    out = bright(frames, masks, np.random.default_rng(1))[0].astype(float)
    ratio = out[..., 0][masks[:, 0]].mean() / 250.0
    assert 0.5 <= ratio <= 1.03 and abs(out[0, 0, 0, 0] / 20.0 - ratio) < 0.05 + 0.5 / 20  # one factor for all pixels
