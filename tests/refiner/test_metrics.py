"""Per-class Dice / IoU / Boundary F of class maps, ignore pixels and empty cases."""

from __future__ import annotations

import math

import numpy as np

from sam2_video.metrics.metrics import boundary_f_measure
from sam2_video.pipeline.letterbox import IGNORE
from sam2_video.refiner.metrics import ScoreBook, frame_scores
from tests.refiner.conftest import shapes


def test_perfect_disjoint_and_empty():
    gt = shapes(64, 64, 1)
    s = frame_scores(gt.copy(), gt, 3)
    assert np.allclose(s[:, :2], 1.0) and np.isnan(s[:, 2]).all()  # class 3 absent from both: not counted
    wrong = np.where(gt == 1, 2, np.where(gt == 2, 1, 0))
    w = frame_scores(wrong, gt, 2)
    assert w[0].max() < 0.5 and w[1].max() < 0.5


def test_ignore_pixels_are_not_scored_and_bf_is_davis_f():
    gt = shapes(64, 80, 2)
    gt_pad = np.full((64, 96), IGNORE, np.uint8)
    gt_pad[:, :80] = gt
    pred = np.zeros((64, 96), np.int64)
    pred[:, :80] = np.roll(gt, 3, axis=1)
    pred[:, 80:] = 1  # predictions in the padding do not count
    s = frame_scores(pred, gt_pad, 2)
    for c in (1, 2):
        p, g = pred[:, :80] == c, gt == c
        assert math.isclose(s[2, c - 1], boundary_f_measure(p, g))
        assert math.isclose(s[0, c - 1], 2 * (p & g).sum() / (p.sum() + g.sum()))


def test_scorebook_means_over_counted_frames():
    book = ScoreBook(2, {1: "a", 2: "b"})
    gt = np.zeros((32, 32), np.uint8)
    gt[4:12, 4:12] = 1
    book.add(gt.copy(), gt)  # class 1 perfect, class 2 absent
    book.add(np.zeros_like(gt), gt)  # class 1 missed
    out = book.summary()
    assert math.isclose(out["dice/a"], 0.5) and math.isnan(out["dice/b"]) and math.isclose(out["dice"], 0.5)
