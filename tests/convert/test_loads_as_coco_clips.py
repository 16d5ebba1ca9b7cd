"""Converted output loads through the project's COCO clip reader with the same masks and frames."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.convert.cholecseg8k import convert_cholecseg8k
from sam2_video.convert.endovis import convert_endovis
from sam2_video.convert.video_folder import convert_video_folder

coco_clips = pytest.importorskip("sam2_video.data.coco_clips")


def _check(raw, json_path, image_root):
    index = coco_clips.load_coco_index(json_path, image_root)
    want = raw.decoded(raw.load_json(json_path))
    assert sum(len(v) for v in index.videos) == len(want)
    for video in index.videos:
        for t, frame in enumerate(video.frames):
            masks = video.load_masks(t)
            expected = want[(video.video_id, frame.order)]
            assert set(masks) == set(expected)
            for track, (cat, mask) in expected.items():
                assert video.categories[track] == cat
                np.testing.assert_array_equal(masks[track], mask)
        image = video.load_image(0)
        assert image.shape == (video.frames[0].height, video.frames[0].width, 3)
    return index


def test_endovis17_split_loads(raw, tmp_path):
    root = raw.endovis17(tmp_path / "raw")
    convert_endovis(root, tmp_path / "ev.json", tmp_path / "imgs", crop_box=(2, 62, 4, 76), split="fold0")
    train = _check(raw, tmp_path / "ev_train.json", tmp_path / "imgs")
    val = _check(raw, tmp_path / "ev_val.json", tmp_path / "imgs")
    assert [v.video_id for v in train.videos] == ["instrument_dataset_2"]
    assert sorted(v.video_id for v in val.videos) == ["instrument_dataset_1", "instrument_dataset_3"]
    assert val.video("instrument_dataset_1").categories == {1: 2, 2: 1, 3: 2}


def test_endovis18_cholecseg8k_davis_polyp_load(raw, tmp_path):
    e18 = raw.endovis18(tmp_path / "e18", seqs=(1,))
    convert_endovis(e18, tmp_path / "o" / "e18.json", task="scene")  # image root defaults to the JSON folder
    index = _check(raw, tmp_path / "o" / "e18.json", None)
    assert 0 in index.video("seq_1").categories  # background-tissue is track 0
    convert_cholecseg8k(raw.cholecseg8k(tmp_path / "chol"), tmp_path / "chol.json", tmp_path / "ci")
    _check(raw, tmp_path / "chol.json", tmp_path / "ci")
    convert_video_folder(raw.davis(tmp_path / "davis"), tmp_path / "davis.json", tmp_path / "di", layout="davis")
    _check(raw, tmp_path / "davis.json", tmp_path / "di")
    convert_video_folder(raw.polyp(tmp_path / "polyp"), tmp_path / "polyp.json", tmp_path / "pi", layout="polyp")
    _check(raw, tmp_path / "polyp.json", tmp_path / "pi")
