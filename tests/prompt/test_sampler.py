"""Prompts: positives inside, negatives outside (in the band), centre inside ring masks, boxes, empty masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sam2_video.prompt.sampler import PromptGenerator, center_point, tight_box


def _ring(size=96, r_out=36, r_in=24):
    m = np.zeros((size, size), np.uint8)
    cv2.circle(m, (size // 2, size // 2), r_out, 1, -1)
    cv2.circle(m, (size // 2, size // 2), r_in, 0, -1)
    return m.astype(bool)


def _blob():
    m = np.zeros((64, 80), bool)
    m[20:40, 30:60] = True
    return m


def test_ring_center_is_inside_the_mask_not_the_centroid():
    ring = _ring()
    x, y = center_point(ring).astype(int)
    assert ring[y, x]
    cy, cx = np.argwhere(ring).mean(axis=0)
    assert not ring[int(cy), int(cx)]  # the centroid would be a false positive click
    dist = np.hypot(x - 48, y - 48)
    assert 26 <= dist <= 34  # in the middle of the ring's body


def test_points_inside_and_negatives_in_band():
    gen = PromptGenerator(num_pos_points=8, num_neg_points=8, include_center=True, neg_band_min_px=5, neg_band_frac=0.0)
    m = _blob()
    coords, labels = gen.points(m, np.random.default_rng(0))
    assert coords.shape == (17, 2) and labels.shape == (17,) and coords.dtype == np.float32
    assert labels.tolist() == [1] * 9 + [0] * 8
    xs, ys = coords[:, 0].astype(int), coords[:, 1].astype(int)
    assert m[ys[:9], xs[:9]].all()
    assert not m[ys[9:], xs[9:]].any()
    dist = cv2.distanceTransform((~m).astype(np.uint8), cv2.DIST_L2, 5)
    assert (dist[ys[9:], xs[9:]] <= 5).all()  # the band around the object, not anywhere


@pytest.mark.parametrize("region", ["box", "image"])
def test_negative_regions(region):
    ring = _ring()
    gen = PromptGenerator(num_pos_points=0, num_neg_points=20, neg_region=region)
    coords, labels = gen.points(ring, np.random.default_rng(1))
    xs, ys = coords[:, 0].astype(int), coords[:, 1].astype(int)
    assert (labels == 0).all() and not ring[ys, xs].any()
    if region == "box":
        x0, y0, x1, y1 = tight_box(ring)
        assert ((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)).all()


def test_box_tight_and_jitter_bounded():
    m = _blob()
    gen = PromptGenerator(box_jitter=0.1, box_jitter_max_px=2.0)
    assert gen.box(m, jitter=False).tolist() == [30, 20, 59, 39]  # inclusive max, like sam2 mask_to_box
    rng = np.random.default_rng(0)
    boxes = np.stack([gen.box(m, rng) for _ in range(200)])
    dev = np.abs(boxes - [30, 20, 59, 39])
    assert dev.max() <= 2.0 + 1e-5 and dev.max() > 1.0  # capped at 2 px (10 % would be 2.9 / 1.9 px)
    assert (boxes[:, 2] >= boxes[:, 0]).all()


def test_empty_mask_negatives_only_and_empty_box():
    gen = PromptGenerator(num_pos_points=2, num_neg_points=3, include_center=True)
    empty = np.zeros((32, 32), bool)
    _, labels = gen.points(empty, np.random.default_rng(0))
    assert labels.tolist() == [-1, -1, -1, 0, 0, 0]
    assert gen.box(empty, np.random.default_rng(0)).tolist() == [0, 0, 0, 0]


def test_full_mask_has_no_negatives():
    coords, labels = PromptGenerator(num_pos_points=1, num_neg_points=2).points(np.ones((16, 16), bool))
    assert labels.tolist() == [1, -1, -1]


def test_deterministic_under_seed():
    m = _ring()
    a = PromptGenerator(num_pos_points=3, num_neg_points=3, seed=7)
    b = PromptGenerator(num_pos_points=3, num_neg_points=3, seed=7)
    assert np.array_equal(a.points(m)[0], b.points(m)[0]) and np.array_equal(a.box(m), b.box(m))
    c1, _ = a.points(m, np.random.default_rng(5))
    c2, _ = b.points(m, np.random.default_rng(5))
    c3, _ = b.points(m, np.random.default_rng(6))
    assert np.array_equal(c1, c2) and not np.array_equal(c1, c3)


def test_batch_shapes():
    gen = PromptGenerator(num_pos_points=1, num_neg_points=1, include_center=True)
    masks = np.stack([_blob(), np.zeros((64, 80), bool)])
    coords, labels, boxes = gen.batch(masks, np.random.default_rng(0))
    assert coords.shape == (2, 3, 2) and labels.shape == (2, 3) and boxes.shape == (2, 4)
    assert labels[1].tolist() == [-1, -1, 0] and boxes[1].tolist() == [0, 0, 0, 0]
