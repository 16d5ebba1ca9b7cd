"""COCO clip JSON reader: valid forms load; every bad input raises one DatasetError naming the fix."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.data.coco_clips import load_coco_index
from sam2_video.errors import DatasetError

from .conftest import H, W, box_mask


def test_valid_case_loads_sorted_with_tracks(coco_case):
    data, write = coco_case
    data["images"].reverse()  # order comes from order_in_video, not from the list
    index = load_coco_index(write(data))
    assert len(index) == 1 and index.categories == {1: "grasper", 2: "hook"}
    video = index.videos[0]
    assert [f.order for f in video.frames] == [0, 1, 2]
    assert video.categories == {1: 1, 2: 2}
    masks = video.load_masks(2)
    assert np.array_equal(masks[1], box_mask(2, 10, 4, 14)) and np.array_equal(masks[2], box_mask(12, 20, 15, 28))
    assert video.load_image(1).shape == (H, W, 3)


def test_polygon_and_uncompressed_rle(coco_case):
    data, write = coco_case
    data["annotations"][0]["segmentation"] = [[2.0, 2.0, 12.0, 2.0, 12.0, 10.0, 2.0, 10.0]]
    m = box_mask(12, 20, 15, 28)
    data["annotations"][1]["segmentation"] = {"size": [H, W], "counts": _uncompressed_counts(m)}
    video = load_coco_index(write(data)).videos[0]
    masks = video.load_masks(0)
    assert masks[1][5, 5] and not masks[1][15, 20] and masks[1].sum() > 60
    assert np.array_equal(masks[2], m)


def _uncompressed_counts(m: np.ndarray) -> list[int]:
    flat = m.flatten(order="F").astype(np.uint8)
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    return runs + [n]


def test_category_fallback_when_no_track_ids(coco_case):
    data, write = coco_case
    for a in data["annotations"]:
        del a["track_id"]
    video = load_coco_index(write(data)).videos[0]
    assert video.categories == {1: 1, 2: 2}


def test_instance_id_key(coco_case):
    data, write = coco_case
    for a in data["annotations"]:
        a["instance_id"] = a.pop("track_id") + 40
    assert load_coco_index(write(data)).videos[0].categories == {41: 1, 42: 2}


def test_empty_mask_annotation_counts_as_absent(coco_case):
    data, write = coco_case
    from .conftest import rle_of

    data["annotations"][0]["segmentation"] = rle_of(np.zeros((H, W), bool))
    video = load_coco_index(write(data)).videos[0]
    assert video.present(0) == {2} and video.present(1) == {1, 2}


def _set(data, kind, idx, key, value):
    data[kind][idx][key] = value
    return data


BAD_CASES = {
    "missing video_id": (lambda d: d["images"][1].pop("video_id") and d, r"image id 11 has no 'video_id'.*order_in_video"),
    "missing order": (lambda d: d["images"][0].pop("order_in_video") is not None and d, r"image id 10 has no 'order_in_video'"),
    "non-integer order": (lambda d: _set(d, "images", 2, "order_in_video", 1.5), r"image id 12 has non-integer order_in_video 1.5"),
    "string order": (lambda d: _set(d, "images", 2, "order_in_video", "2"), r"image id 12 has non-integer order_in_video '2'"),
    "duplicate order": (lambda d: _set(d, "images", 2, "order_in_video", 1), r"two frames with order_in_video 1 \(image ids 11 and 12\).*unique"),
    "missing file": (lambda d: _set(d, "images", 1, "file_name", "frames/v0/nope.jpg"), r"image id 11: frame file .*nope.jpg not found.*data.image_root"),
    "escaping file_name": (lambda d: _set(d, "images", 0, "file_name", "../outside.jpg"), r"image id 10: file_name '../outside.jpg' escapes the image root"),
    "absolute file_name": (lambda d: _set(d, "images", 0, "file_name", "/etc/passwd"), r"image id 10: file_name '/etc/passwd' escapes"),
    "rle size mismatch": (lambda d: d["annotations"][2]["segmentation"].update(size=[H, W + 1]) or d, r"annotation id 101 \(image id 11\): RLE size \[24, 33\] differs from the image size \[24, 32\]"),
    "unknown image": (lambda d: _set(d, "annotations", 3, "image_id", 999), r"annotation id 201 points at unknown image_id 999"),
    "unknown category": (lambda d: _set(d, "annotations", 0, "category_id", 7), r"annotation id 100 \(image id 10\) has category_id 7, not in categories \[1, 2\]"),
    "empty category": (lambda d: d["categories"].append({"id": 3, "name": "scissors"}) or d, r"category 3 \('scissors'\) has no annotation.*allow_empty_categories"),
    "duplicate image id": (lambda d: _set(d, "images", 1, "id", 10), r"image id 10 appears twice"),
    "duplicate annotation id": (lambda d: _set(d, "annotations", 1, "id", 100), r"annotation id 100 appears twice"),
    "mixed track keys": (lambda d: d["annotations"][4].pop("track_id") and d, r"annotation id 102 has no 'track_id' while others do"),
    "track changes category": (lambda d: _set(d, "annotations", 5, "track_id", 1), r"annotation id 202.*image id 12 already has track_id 1"),
    "two instances without ids": (
        lambda d: [a.pop("track_id") for a in d["annotations"]] and _set(d, "annotations", 1, "category_id", 1),
        r"image id 10 already has category 1; several instances of one category.*add track_id",
    ),
    "bad segmentation": (lambda d: _set(d, "annotations", 0, "segmentation", "oops"), r"annotation id 100 \(image id 10\): segmentation is neither"),
    "short polygon": (lambda d: _set(d, "annotations", 0, "segmentation", [[1, 1, 5, 5]]), r"annotation id 100 .*polygon with 4 numbers"),
    "missing height": (lambda d: d["images"][0].pop("height") and d, r"image id 10 lacks a positive integer height/width"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_raises_one_clear_error(coco_case, case):
    data, write = coco_case
    mutate, pattern = BAD_CASES[case]
    path = write(mutate(data))
    with pytest.raises(DatasetError, match=pattern) as err:
        load_coco_index(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_track_keeps_one_category(coco_case):
    data, write = coco_case
    data["annotations"][2]["category_id"] = 2  # track 1 in frame 1 claims category 2
    with pytest.raises(DatasetError, match=r"annotation id 101: track 1 of video 'v0' has category 2 here but 1"):
        load_coco_index(write(data))


def test_empty_category_allowed_by_flag(coco_case):
    data, write = coco_case
    data["categories"].append({"id": 3, "name": "scissors"})
    index = load_coco_index(write(data), allow_empty_categories=True)
    assert 3 in index.categories


def test_missing_json_and_bad_json(tmp_path):
    with pytest.raises(DatasetError, match=r"annotation JSON not found; set data.root=... or data.train_path"):
        load_coco_index(tmp_path / "nope.json")
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_coco_index(p)


def test_image_root_and_frame_size_check(coco_case, tmp_path):
    data, write = coco_case
    for im in data["images"]:
        im["file_name"] = im["file_name"].replace("frames/", "")
    index = load_coco_index(write(data), image_root=tmp_path / "frames")
    assert index.videos[0].load_image(0).shape == (H, W, 3)
    data["images"][0]["height"] = H + 2  # the JSON lies about frame 0's size
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] != 10]
    video = load_coco_index(write(data, "other.json"), image_root=tmp_path / "frames").videos[0]
    with pytest.raises(DatasetError, match=r"0.jpg: image is 32x24 but the dataset says 32x26 \(image id 10\)"):
        video.load_image(0)


def test_index_is_cached(coco_case):
    data, write = coco_case
    path = write(data)
    assert load_coco_index(path) is load_coco_index(path)
