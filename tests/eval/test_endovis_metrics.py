"""Hand-computed EndoVis challenge IoU / IoU / mcIoU / ternaus Dice."""

import numpy as np
import pytest

from sam2_video.metrics.endovis_metrics import EndoVisAccumulator, class_counts, class_masks


def _frame(gt1, pred1, gt2, pred2, shape=(4, 4)):
    def m(n):
        a = np.zeros(shape, bool)
        a.flat[:n] = True
        return a

    gt = np.stack([m(gt1), m(gt2)])
    pred = np.stack([m(pred1), m(pred2)])
    return pred, gt


def test_hand_computed_sequence():
    acc = EndoVisAccumulator(num_classes=2)
    # A: class 1 IoU 4/8; class 2 predicted only (IoU 0)
    pred, gt = _frame(4, 8, 0, 0)
    pred[1].flat[-2:] = True
    acc.add(*class_counts(pred, gt))
    # B: everything empty
    acc.add(*class_counts(*_frame(0, 0, 0, 0)))
    # C: class 2 perfect
    acc.add(*class_counts(*_frame(0, 0, 4, 4)))
    res = {k: float(v[0]) for k, v in acc.result().items()}
    assert res["challenge_iou"] == pytest.approx((0.5 + 1.0) / 2)
    assert res["iou"] == pytest.approx((0.25 + 1.0) / 2)
    assert res["mciou"] == pytest.approx((0.5 + 0.5) / 2)
    assert res["dice"] == pytest.approx((2 * 4 / 12 + 1 + 1) / 3)
    assert res["jaccard"] == pytest.approx((0.5 + 1 + 1) / 3)
    np.testing.assert_allclose(acc.per_class_iou()[0], [0.5, 0.5])


def test_empty_gt_frame_with_prediction_scores_zero_for_ternaus():
    acc = EndoVisAccumulator(num_classes=1)
    acc.add(np.array([0]), np.array([3]), np.array([0]))
    res = acc.result()
    assert res["dice"][0] == 0.0 and np.isnan(res["challenge_iou"][0]) and res["iou"][0] == 0.0


def test_merge_and_threshold_axis():
    a, b = EndoVisAccumulator(1, 2), EndoVisAccumulator(1, 2)
    a.add(np.array([[2], [1]]), np.array([[4], [1]]), np.array([2]))
    b.add(np.array([[2], [2]]), np.array([[2], [2]]), np.array([2]))
    a.merge(b)
    np.testing.assert_allclose(a.result()["challenge_iou"], [(0.5 + 1) / 2, (0.5 + 1) / 2])


def test_class_masks_union():
    masks = np.zeros((3, 2, 2), bool)
    masks[0, 0, 0] = masks[1, 1, 1] = masks[2, 0, 1] = True
    cls = class_masks(masks, np.array([5, 5, 7]), np.array([5, 7, 9]))
    assert cls[0].sum() == 2 and cls[1].sum() == 1 and cls[2].sum() == 0
