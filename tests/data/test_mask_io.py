"""The one mask-IO module: RLE round trip, label PNGs, packed (8 masks per byte) operations."""

from __future__ import annotations

import cv2
import numpy as np

from sam2_video.data.mask_io import (VOID, apply_packed, decode_rle, encode_rle, label_ids, read_label_png,
                                     rle_area_bbox, write_label_png)


def _masks(n: int, h: int = 23, w: int = 31) -> np.ndarray:
    return np.random.default_rng(n).random((n, h, w)) > 0.6


def test_rle_round_trip_area_and_box():
    m = np.zeros((20, 30), bool)
    m[3:9, 5:17] = True
    m[12, 2] = True
    rle = encode_rle(m)
    assert isinstance(rle["counts"], str) and rle["size"] == [20, 30]
    np.testing.assert_array_equal(decode_rle(rle), m)
    assert rle_area_bbox(rle) == (int(m.sum()), [2, 3, 15, 10])


def test_label_png_round_trip_and_void(tmp_path):
    lab = np.zeros((9, 11), np.uint8)
    lab[1:4, 1:4], lab[5:8, 2:9], lab[:, -1] = 3, 7, VOID
    write_label_png(tmp_path / "a.png", lab)
    back = read_label_png(tmp_path / "a.png")
    np.testing.assert_array_equal(back, lab)
    assert label_ids(back) == [3, 7]


def test_packed_operation_equals_one_mask_at_a_time():
    for n in (1, 8, 11):
        masks = _masks(n)
        size = lambda img: cv2.resize(img, (13, 17), interpolation=cv2.INTER_NEAREST_EXACT)  # noqa: E731
        got = apply_packed(masks, size)
        want = np.stack([size(m.astype(np.uint8)).astype(bool) for m in masks])
        np.testing.assert_array_equal(got, want)
