"""Triplet augmentation keeps image, prior and ground truth aligned; photometric changes touch the image only."""

from __future__ import annotations

import numpy as np

from sam2_video.refiner.augment import TripletAugment
from sam2_video.pipeline.letterbox import IGNORE
from tests.refiner.conftest import shapes


def _triplet(seed: int):
    labels = shapes(96, 128, seed)
    image = np.zeros((96, 128, 3), np.uint8)
    image[..., 0] = np.where(labels == 1, 255, 0)
    image[..., 1] = np.where(labels == 2, 255, 0)
    prior = np.stack([np.where(labels == c, 10.0, -10.0) for c in (1, 2)]).astype(np.float32)
    return image, prior, labels


def _decode(image, prior, labels):
    """Class maps read back from the image colours and from the prior logits."""
    from_image = np.where(image[..., 0] > 127, 1, np.where(image[..., 1] > 127, 2, 0))
    from_prior = np.where(prior.max(0) > 0, prior.argmax(0) + 1, 0)
    return from_image, from_prior


def test_geometry_is_shared_by_the_three():
    aug = TripletAugment(hflip_p=0.5, affine_p=1.0, rotate_deg=15.0, scale=(0.8, 1.3), translate=0.1,
                         jitter_p=0.0, noise_p=0.0, blur_p=0.0)
    moved = 0
    for seed in range(12):
        image, prior, labels = _triplet(seed)
        img2, pri2, lab2 = aug(image, prior, labels, np.random.default_rng(seed), prior_fill=-10.0)
        assert img2.shape == image.shape and pri2.shape == prior.shape and lab2.shape == labels.shape
        valid = lab2 != IGNORE
        from_image, from_prior = _decode(img2, pri2, lab2)
        assert (from_image[valid] == lab2[valid]).mean() > 0.98  # bilinear vs nearest differ on edges only
        assert (from_prior[valid] == lab2[valid]).mean() > 0.98
        moved += (lab2 != labels).mean() > 0.01
    assert moved >= 10  # the geometry really changed the frames


def test_photometric_changes_only_the_image():
    aug = TripletAugment(hflip_p=0.0, affine_p=0.0, jitter_p=1.0, noise_p=1.0, blur_p=1.0)
    image, prior, labels = _triplet(3)
    image = (image // 2 + 60).astype(np.uint8)  # mid-grey: room for jitter and noise both ways
    img2, pri2, lab2 = aug(image, prior, labels, np.random.default_rng(0), prior_fill=-10.0)
    assert np.array_equal(pri2, prior) and np.array_equal(lab2, labels)
    assert np.abs(img2.astype(int) - image).mean() > 1.0
