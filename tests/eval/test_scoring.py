"""The multi-threshold scorer equals the reference metrics at every threshold."""

import math

import numpy as np
import pytest
import torch

from sam2_video.metrics.endovis_metrics import class_counts, class_masks
from sam2_video.metrics.metrics import boundary_f_measure, dice, iou, region_similarity
from sam2_video.metrics.scoring import ThresholdScorer, boundary_intervals, logit_thresholds


def _blobs(rng, o, h, w):
    yy, xx = np.mgrid[:h, :w]
    logits = np.empty((o, h, w), np.float32)
    for i in range(o):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        rad = rng.uniform(2, min(h, w) / 2)
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        logits[i] = (rad - d) / 2 + rng.normal(0, 1.5, (h, w))
    return logits


@pytest.mark.parametrize("seed,non_overlap", [(0, True), (1, False), (2, True), (3, False)])
def test_scorer_equals_reference_metrics(seed, non_overlap):
    rng = np.random.default_rng(seed)
    o, h, w = 3, int(rng.integers(20, 60)), int(rng.integers(20, 60))
    logits = torch.from_numpy(_blobs(rng, o, h, w))
    if seed == 2:
        logits[1] = -20.0  # an object predicted empty everywhere
    gt = _blobs(rng, o, h, w) > 0
    gt[2] = False if seed % 2 else gt[2]
    thresholds = [round(0.05 * i, 2) for i in range(1, 20)]
    cats = np.array([1, 2, 1])
    scorer = ThresholdScorer(thresholds, non_overlap=non_overlap, bound_th=0.05, class_ids=[1, 2, 3])
    q = scorer.quantize(logits)
    s = scorer.score(q, gt, cats)
    probs = torch.sigmoid(logits.double()).numpy()
    winner = probs.argmax(0)
    for k, tau in enumerate(thresholds):
        masks = probs > tau
        if non_overlap:
            masks &= winner[None] == np.arange(o)[:, None, None]
        np.testing.assert_array_equal(q > k, masks)
        for i in range(o):
            assert s.j[i, k] == pytest.approx(region_similarity(masks[i], gt[i]))
            assert s.f[i, k] == pytest.approx(boundary_f_measure(masks[i], gt[i], bound_th=0.05))
            assert s.dice[i, k] == pytest.approx(dice(masks[i], gt[i]))
            ref = iou(masks[i], gt[i])
            assert (math.isnan(ref) and math.isnan(s.iou[i, k])) or s.iou[i, k] == pytest.approx(ref)
        ci, cp, cg = class_counts(class_masks(masks, cats, np.array([1, 2, 3])), class_masks(gt, cats, np.array([1, 2, 3])))
        np.testing.assert_array_equal(s.class_inter[k], ci)
        np.testing.assert_array_equal(s.class_pred[k], cp)
        np.testing.assert_array_equal(s.class_gt, cg)


@pytest.mark.parametrize("thresholds", [[0.5], [0.3, 0.5, 0.7]])
def test_tied_objects_give_the_pixel_to_the_lowest_index(thresholds):
    """One object per pixel: the highest logit wins; on a tie (here exact equal logits) the first object,
    as numpy's argmax; the single-threshold fast path gives the same levels as the multi-threshold one."""
    logits = torch.full((3, 4, 5), -3.0)
    logits[:, 0] = 2.0  # row 0: all three tied
    logits[1:, 1] = 1.5  # row 1: objects 1 and 2 tied
    logits[2, 2], logits[1, 2] = 2.5, 1.0  # row 2: object 2 highest
    q = ThresholdScorer(thresholds, non_overlap=True).quantize(logits)
    winner = logits.numpy().argmax(0)
    probs = torch.sigmoid(logits).numpy()
    for k, tau in enumerate(thresholds):
        np.testing.assert_array_equal(q > k, (probs > tau) & (winner[None] == np.arange(3)[:, None, None]))
    assert q[0, 0].all() and not q[1:, 0].any() and q[1, 1].all() and not q[2, 1].any() and q[2, 2].all()


def test_one_pixel_and_edges():
    logits = torch.full((1, 7, 9), -5.0)
    logits[0, 6, 8] = 5.0  # bottom-right corner pixel
    gt = np.zeros((1, 7, 9), bool)
    gt[0, 0, 0] = True
    scorer = ThresholdScorer([0.5], bound_th=1)
    s = scorer.score(scorer.quantize(logits), gt, [1])
    m = (logits[0] > 0).numpy()
    assert s.f[0, 0] == pytest.approx(boundary_f_measure(m, gt[0], bound_th=1))
    assert s.j[0, 0] == 0.0


def test_threshold_semantics_and_validation():
    b = logit_thresholds([0.25, 0.5, 0.75])
    assert b[1] == 0.0
    x = torch.tensor([math.log(1 / 3), 0.0, 1e-7])
    q = torch.bucketize(x, b)
    assert q.tolist() == [0, 1, 2]  # sigmoid(x) > tau strictly
    with pytest.raises(ValueError):
        logit_thresholds([0.5, 0.4])
    with pytest.raises(ValueError):
        logit_thresholds([0.0])


def test_boundary_intervals_single_row_and_column():
    q = np.array([[0, 2, 1]], np.uint8)
    lo, hi = boundary_intervals(q)
    assert lo.tolist() == [[0, 1, 1]] and hi.tolist() == [[2, 2, 1]]
