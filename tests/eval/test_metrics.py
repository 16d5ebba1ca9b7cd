"""Hand-computed cases for the J / F / Dice / IoU definitions."""

import math

import numpy as np
import pytest

from sam2_video.metrics.metrics import (
    boundary_f_measure,
    boundary_map,
    boundary_precision_recall,
    boundary_radius,
    dice,
    disk,
    iou,
    recall_of,
    region_similarity,
)


def _mask(shape, *pixels):
    m = np.zeros(shape, dtype=bool)
    for y, x in pixels:
        m[y, x] = True
    return m


def _step_case():
    """GT: columns 0..2; pred: columns 0..2 on rows 0-1, 0..4 on rows 2-3 (4x6 image)."""
    gt = np.zeros((4, 6), bool)
    gt[:, :3] = True
    pred = gt.copy()
    pred[2:, :5] = True
    return pred, gt


def test_region_similarity_and_dice_hand_computed():
    pred, gt = _step_case()
    assert region_similarity(pred, gt) == pytest.approx(12 / 16)
    assert iou(pred, gt) == pytest.approx(12 / 16)
    assert dice(pred, gt) == pytest.approx(24 / 28)


def test_empty_masks():
    e = np.zeros((5, 5), bool)
    one = _mask((5, 5), (2, 2))
    assert region_similarity(e, e) == 1.0
    assert math.isnan(iou(e, e))
    assert iou(e, e, empty_score=0.0) == 0.0
    assert dice(e, e) == 1.0 and dice(e, e, empty_score=0.0) == 0.0
    assert region_similarity(one, e) == 0.0 and region_similarity(e, one) == 0.0
    assert dice(one, e) == 0.0
    # F: only pred boundary empty -> P=1, R=0; only GT empty -> P=0, R=1; both -> 1
    assert boundary_precision_recall(e, one) == (1.0, 0.0)
    assert boundary_precision_recall(one, e) == (0.0, 1.0)
    assert boundary_f_measure(e, one) == 0.0 and boundary_f_measure(one, e) == 0.0
    assert boundary_f_measure(e, e) == 1.0
    full = np.ones((5, 5), bool)  # no boundary at all inside a full mask
    assert boundary_f_measure(full, full) == 1.0


def test_boundary_map_of_one_pixel():
    m = _mask((5, 5), (1, 1))
    expected = _mask((5, 5), (0, 0), (0, 1), (1, 0), (1, 1))
    np.testing.assert_array_equal(boundary_map(m), expected)


def test_boundary_map_edge_rules():
    m = np.zeros((3, 3), bool)
    m[2, 2] = True  # bottom-right corner pixel: never a boundary itself
    b = boundary_map(m)
    assert not b[2, 2]
    assert b[2, 1] and b[1, 2] and b[1, 1]  # east (last row), south (last column), south-east
    m = np.zeros((3, 3), bool)
    m[2, 0] = True  # last row compares east only
    b = boundary_map(m)
    assert b[2, 0] and b[1, 0] and not b[1, 1]


def test_one_pixel_objects():
    a = _mask((5, 5), (1, 1))
    b = _mask((5, 5), (3, 3))
    assert region_similarity(a, a) == 1.0 and boundary_f_measure(a, a) == 1.0
    assert boundary_radius((5, 5)) == 1
    assert region_similarity(a, b) == 0.0
    assert boundary_precision_recall(a, b) == (0.0, 0.0)
    assert boundary_f_measure(a, b) == 0.0
    # shifted by one pixel: boundaries within the tolerance
    c = _mask((5, 5), (1, 2))
    assert boundary_f_measure(a, c) == 1.0
    assert region_similarity(a, c) == 0.0


def test_boundary_f_hand_computed():
    pred, gt = _step_case()
    p, r = boundary_precision_recall(pred, gt, bound_th=1)
    assert (p, r) == (0.5, 0.75)
    assert boundary_f_measure(pred, gt, bound_th=1) == pytest.approx(0.6)


def test_boundary_radius_and_disk():
    assert boundary_radius((480, 854)) == math.ceil(0.008 * math.hypot(480, 854)) == 8
    assert boundary_radius((10, 10), bound_th=3) == 3
    d = disk(2)
    assert d.shape == (5, 5) and d.sum() == 13 and d[0, 2] == 1 and d[0, 1] == 0


def _naive_f(pred, gt, r):
    def bmap(m):
        h, w = m.shape
        b = np.zeros_like(m)
        for y in range(h):
            for x in range(w):
                nb = []
                if y < h - 1 and x < w - 1:
                    nb = [(y, x + 1), (y + 1, x), (y + 1, x + 1)]
                elif y == h - 1 and x < w - 1:
                    nb = [(y, x + 1)]
                elif x == w - 1 and y < h - 1:
                    nb = [(y + 1, x)]
                b[y, x] = any(m[n] != m[y, x] for n in nb)
        return b

    def near(point, pts):
        return any((point[0] - q[0]) ** 2 + (point[1] - q[1]) ** 2 <= r * r for q in pts)

    pb, gb = bmap(pred), bmap(gt)
    pp, gp = list(zip(*np.nonzero(pb))), list(zip(*np.nonzero(gb)))
    if not pp and not gp:
        return 1.0
    if not pp:
        prec, rec = 1.0, 0.0
    elif not gp:
        prec, rec = 0.0, 1.0
    else:
        prec = sum(near(p, gp) for p in pp) / len(pp)
        rec = sum(near(g, pp) for g in gp) / len(gp)
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


@pytest.mark.parametrize("seed", range(6))
def test_boundary_f_matches_naive_definition(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(6, 20, size=2)
    pred = rng.random((h, w)) < 0.3
    gt = rng.random((h, w)) < 0.3
    r = int(rng.integers(1, 4))
    assert boundary_f_measure(pred, gt, bound_th=r) == pytest.approx(_naive_f(pred, gt, r))


def test_inputs_must_be_boolean_and_same_shape():
    with pytest.raises(TypeError):
        region_similarity(np.zeros((2, 2)), np.zeros((2, 2), bool))
    with pytest.raises(ValueError):
        dice(np.zeros((2, 2), bool), np.zeros((2, 3), bool))


def test_recall_of():
    assert recall_of([0.2, 0.6, 0.5, float("nan"), 0.9]) == pytest.approx(2 / 4)
    assert math.isnan(recall_of([]))
