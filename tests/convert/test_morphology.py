"""Morphological opening of a COCO JSON: empties dropped, changed masks re-encoded, the rest untouched."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from sam2_video.convert.morphology import apply_opening
from sam2_video.convert.video_folder import convert_video_folder


@pytest.fixture
def coco(raw, tmp_path):
    """A converted DAVIS tree: object 1 a 1-px speck, 2 a rectangle with a 1-px spur, 3 a clean rectangle."""
    root = tmp_path / "raw"
    for t in range(2):
        raw.save(root / "JPEGImages" / "v" / f"{t:05d}.jpg", raw.frame_rgb(t))
        lab = np.zeros((raw.H, raw.W), np.uint8)
        lab[3, 3 + t] = 1
        lab[10:30, 10:30] = 2
        lab[20, 30:40] = 2  # spur
        lab[40:60, 40:70] = 3
        (root / "Annotations" / "v").mkdir(parents=True, exist_ok=True)
        Image.fromarray(lab, "L").save(root / "Annotations" / "v" / f"{t:05d}.png")
    out = tmp_path / "in.json"
    convert_video_folder(root, out, tmp_path / "imgs", layout="davis")
    return out


def test_square_opening_drops_empties_and_keeps_the_rest(raw, tmp_path, coco):
    src = raw.load_json(coco)
    stats = apply_opening(coco, tmp_path / "out.json", kernel_size=3, kernel_shape="square")
    out = raw.load_json(tmp_path / "out.json")
    assert stats == {"annotations": 6, "changed": 2, "dropped": 2}
    assert {a["track_id"] for a in out["annotations"]} == {2, 3}
    for key in ("images", "categories", "videos", "info"):
        assert out[key] == src[key]
    before = {a["id"]: a for a in src["annotations"]}
    for ann in out["annotations"]:
        assert list(ann) == list(before[ann["id"]])  # same keys, same order
        if ann["track_id"] == 3:
            assert ann == before[ann["id"]]
        else:
            assert ann["area"] == 400 and ann["bbox"] == [10, 10, 20, 20]  # spur removed
    raw.decoded(out)  # area / bbox consistent with the new RLE


def test_ellipse_opening_equals_opencv(raw, tmp_path, coco):
    apply_opening(coco, tmp_path / "out.json", kernel_size=5)
    src, out = raw.decoded(raw.load_json(coco)), raw.decoded(raw.load_json(tmp_path / "out.json"))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for key, objs in src.items():
        for track, (_, mask) in objs.items():
            want = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
            if want.any():
                np.testing.assert_array_equal(out[key][track][1], want)
            else:
                assert track not in out[key]


def test_noop_opening_is_byte_identical(tmp_path, coco):
    apply_opening(coco, tmp_path / "out.json", kernel_size=1)
    assert (tmp_path / "out.json").read_bytes() == coco.read_bytes()


def test_compact_json_and_polygons(raw, tmp_path):
    data = {
        "images": [{"id": 1, "file_name": "v/0.png", "height": 20, "width": 20, "video_id": "v", "order_in_video": 0}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[2, 2, 15, 2, 15, 15, 2, 15]],
             "area": 169.0, "bbox": [2, 2, 13, 13], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 1, "segmentation": [[5, 5, 7, 5, 7, 7, 5, 7]],
             "area": 4.0, "bbox": [5, 5, 2, 2], "iscrowd": 0},
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps(data))
    apply_opening(src, tmp_path / "same.json", kernel_size=1)
    assert (tmp_path / "same.json").read_bytes() == src.read_bytes()
    stats = apply_opening(src, tmp_path / "out.json", kernel_size=3, kernel_shape="square")
    assert stats["dropped"] == 1
    out = raw.load_json(tmp_path / "out.json")
    assert [a["id"] for a in out["annotations"]] == [1]


def test_script(tmp_path, coco, script):
    main = script("apply_morphological_opening")
    assert main(["--input-json", str(coco), "--output-json", str(tmp_path / "o.json"), "--kernel-size", "3"]) == 0
    assert (tmp_path / "o.json").is_file()
    assert main(["--input-json", str(tmp_path / "nope.json"), "--output-json", str(tmp_path / "p.json")]) == 2
    assert not (tmp_path / "p.json").exists()
