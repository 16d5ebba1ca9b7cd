"""Prompts: byte-identical for the same index and seed; positives inside, negatives just outside, tight box."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sam2_video.refiner.prompts import PriorPromptSpec, frame_prompts, prompt_path, write_prompts
from sam2_video.refiner.sources import records_from_folder
from tests.refiner.conftest import shapes


def _ring(h=60, w=80):
    lab = np.zeros((h, w), np.uint8)
    cv2.circle(lab, (40, 30), 22, 1, -1)
    cv2.circle(lab, (40, 30), 12, 0, -1)  # a ring: the centroid is outside the mask
    cv2.rectangle(lab, (0, 0), (10, 59), 2, -1)  # touches the image border
    return lab


@pytest.mark.parametrize("labels", [_ring(), shapes(48, 64, 3), shapes(64, 48, 11)], ids=["ring", "a", "b"])
@pytest.mark.parametrize("num_pos,num_neg", [(1, 2), (3, 1), (2, 0)])
def test_points_inside_outside_and_tight_box(labels, num_pos, num_neg):
    spec = PriorPromptSpec(num_pos=num_pos, num_neg=num_neg, neg_band_px=(2, 6), seed=5)
    present = [int(c) for c in np.unique(labels) if c]
    doc = frame_prompts("v/f", labels, present, spec)
    assert sorted(int(c) for c in doc["classes"]) == present
    for c, p in doc["classes"].items():
        mask = labels == int(c)
        dist_out = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
        pos = [pt for pt, lab in zip(p["points"], p["labels"]) if lab == 1]
        neg = [pt for pt, lab in zip(p["points"], p["labels"]) if lab == 0]
        assert len(pos) == num_pos and len(neg) == num_neg
        assert all(mask[y, x] for x, y in pos)
        assert all(not mask[y, x] and 2 <= dist_out[y, x] <= 6 for x, y in neg)
        ys, xs = np.nonzero(mask)
        assert p["box"] == [xs.min(), ys.min(), xs.max(), ys.max()]
        # the first positive is the interior point nearest the centroid: closer than most mask pixels
        x, y = pos[0]
        d = np.hypot(xs - xs.mean(), ys - ys.mean())
        assert np.hypot(x - xs.mean(), y - ys.mean()) <= np.quantile(d, 0.5)


def test_same_index_gives_byte_identical_files(pair_folder, tmp_path):
    records, meta = records_from_folder(*pair_folder)
    spec = PriorPromptSpec(num_pos=2, num_neg=2, seed=3)
    contents = []
    for run in ("a", "b"):
        for r in records:
            labels = cv2.imread(r.mask_path, cv2.IMREAD_UNCHANGED)
            assert write_prompts(prompt_path(tmp_path / run, r.key), frame_prompts(r.key, labels, r.classes_present, spec))
        contents.append({r.key: prompt_path(tmp_path / run, r.key).read_bytes() for r in records})
    assert contents[0] == contents[1]
    # a rerun leaves identical files alone; another seed changes the sampled points
    r = records[0]
    labels = cv2.imread(r.mask_path, cv2.IMREAD_UNCHANGED)
    assert not write_prompts(prompt_path(tmp_path / "a", r.key), frame_prompts(r.key, labels, r.classes_present, spec))
    other = frame_prompts(r.key, labels, r.classes_present, PriorPromptSpec(num_pos=2, num_neg=2, seed=4))
    assert other != frame_prompts(r.key, labels, r.classes_present, spec)
