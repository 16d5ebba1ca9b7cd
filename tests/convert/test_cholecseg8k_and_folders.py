"""CholecSeg8k, DAVIS and polyp -> COCO clip: masks pixel for pixel, ids, orders, splits, re-runs."""

from __future__ import annotations

import numpy as np
from PIL import Image

from sam2_video.convert.cholecseg8k import CATEGORIES, convert_cholecseg8k
from sam2_video.convert.video_folder import convert_video_folder

GREY_TO_CLASS = {50: 0, 11: 1, 21: 2, 13: 3, 12: 4, 31: 5, 23: 6, 24: 7, 25: 8, 32: 9, 22: 10, 33: 11, 5: 12}
CLIPS = (("video01", 80), ("video01", 160), ("video12", 0))


def test_cholecseg8k(raw, tmp_path):
    root = raw.cholecseg8k(tmp_path / "raw")
    out = tmp_path / "chol.json"
    convert_cholecseg8k(root, out, tmp_path / "imgs")
    data = raw.load_json(out)
    exp = {}
    for video, start in CLIPS:
        for n in range(start, start + 3):
            grey = raw.read_label(root / video / f"{video}_{start:05d}" / f"frame_{n}_endo_watershed_mask.png")[..., 0]
            exp[(f"{video}_{start:05d}", n)] = {GREY_TO_CLASS[g]: (GREY_TO_CLASS[g], grey == g) for g in raw.CHOLEC_GREYS}
    raw.assert_matches(data, exp)
    assert [v["id"] for v in data["videos"]] == ["video01_00080", "video01_00160", "video12_00000"]
    im = next(i for i in data["images"] if i["video_id"] == "video01_00080" and i["order_in_video"] == 81)
    assert im["file_name"] == "video01_00080/00081.png"
    assert (tmp_path / "imgs" / im["file_name"]).read_bytes() == (
        root / "video01" / "video01_00080" / "frame_81_endo.png").read_bytes()
    assert {c["id"]: c["name"] for c in data["categories"]} == {
        GREY_TO_CLASS[g]: CATEGORIES[GREY_TO_CLASS[g]] for g in raw.CHOLEC_GREYS}
    assert len(CATEGORIES) == 13
    # ignored grey values (0 edges-unlabelled, 255 edges) are in no mask
    union = np.zeros((raw.H, raw.W), bool)
    for ann in (a for a in raw.decoded(data)[("video12_00000", 0)].values()):
        union |= ann[1]
    assert not union[0].any() and not union[1, :5].any()


def test_cholecseg8k_split_by_video_and_rerun(raw, tmp_path):
    root = raw.cholecseg8k(tmp_path / "raw")
    out = tmp_path / "o" / "chol.json"
    convert_cholecseg8k(root, out, tmp_path / "o" / "imgs", val_videos="video01", drop_background=True)
    first = raw.digest(tmp_path / "o")
    assert [v["id"] for v in raw.load_json(tmp_path / "o" / "chol_val.json")["videos"]] == [
        "video01_00080", "video01_00160"]
    train = raw.load_json(tmp_path / "o" / "chol_train.json")
    assert [v["id"] for v in train["videos"]] == ["video12_00000"]
    assert 0 not in {a["category_id"] for a in train["annotations"]}
    convert_cholecseg8k(root, out, tmp_path / "o" / "imgs", val_videos="video01", drop_background=True)
    assert raw.digest(tmp_path / "o") == first


def test_davis(raw, tmp_path):
    root = raw.davis(tmp_path / "raw")
    out = tmp_path / "davis.json"
    convert_video_folder(root, out, tmp_path / "imgs", layout="davis", val_videos="car")
    exp = {}
    for name in ("bear", "car"):
        for t in range(3):
            lab = raw.read_label(root / "Annotations" / name / f"{t:05d}.png")
            exp[(name, t)] = {v: (1, lab == v) for v in (1, 2, 5)}
    train, val = raw.load_json(tmp_path / "davis_train.json"), raw.load_json(tmp_path / "davis_val.json")
    raw.assert_matches(train, {k: v for k, v in exp.items() if k[0] == "bear"})
    raw.assert_matches(val, {k: v for k, v in exp.items() if k[0] == "car"})
    im = val["images"][0]
    assert im["file_name"] == "car/00000.jpg"
    assert (tmp_path / "imgs" / "car" / "00000.jpg").read_bytes() == (root / "JPEGImages" / "car" / "00000.jpg").read_bytes()
    assert train["categories"] == [{"id": 1, "name": "object"}]


def test_polyp(raw, tmp_path):
    root = raw.polyp(tmp_path / "raw")
    out = tmp_path / "polyp.json"
    convert_video_folder(root, out, tmp_path / "imgs", layout="polyp")
    data = raw.load_json(out)
    exp = {}
    for seq in ("case1", "case2"):
        for t in (1, 2, 3):
            luma = np.asarray(Image.open(root / "train" / "masks" / seq / f"{seq}_{t}.jpg").convert("L"))
            exp[(seq, t - 1)] = {1: (1, luma >= 128)}  # order = position in the natural sort (data.folders)
    raw.assert_matches(data, exp)
    assert [v["id"] for v in data["videos"]] == ["case1", "case2"]  # 'unlisted' is not in train_list.txt
    assert data["categories"] == [{"id": 1, "name": "polyp"}]
