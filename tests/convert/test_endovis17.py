"""EndoVis 2017 -> COCO clip: masks pixel for pixel, categories, track ids, crop, splits, re-runs."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_video.convert import endovis17
from sam2_video.convert.endovis import convert_endovis
from sam2_video.convert.raw_io import natural_key


def expected17(raw, root, task="type", crop=None, videos=None):
    """Expected instances, derived from the raw label PNGs with this test's own rules."""
    y0, y1, x0, x1 = crop or (0, raw.H, 0, raw.W)
    exp = {}
    for n, folders in (videos or raw.E17_VIDEOS).items():
        ordered = sorted(folders, key=natural_key)
        for t in range(3):
            objs = {}
            for i, name in enumerate(ordered, start=1):
                lab = raw.read_label(root / f"instrument_dataset_{n}" / "ground_truth" / name / f"frame{t:03d}.png")
                lab = lab[y0:y1, x0:x1]
                if task == "type":
                    objs[i] = (endovis17.instrument_type(name, root), lab > 0)
                elif task == "binary":
                    objs[i] = (1, lab > 0)
                else:
                    for part in (10, 20, 30):
                        objs[100 * i + part] = (part, lab == part)
            exp[(f"instrument_dataset_{n}", t)] = objs
    return exp


@pytest.mark.parametrize("task", ["type", "parts", "binary"])
def test_tasks_masks_categories_tracks(raw, tmp_path, task):
    root = raw.endovis17(tmp_path / "raw")
    out = tmp_path / "out" / "ev17.json"
    convert_endovis(root, out, tmp_path / "out" / "images", task=task)
    data = raw.load_json(out)
    raw.assert_matches(data, expected17(raw, root, task))
    used = {a["category_id"] for a in data["annotations"]}
    table = endovis17.CATEGORIES[task]
    assert [c["id"] for c in data["categories"]] == sorted(used)
    assert all(c["name"] == table[c["id"]] for c in data["categories"])
    if task == "type":
        # left and right prograsp forceps: two instances (tracks) of one category in the same frame
        frame0 = [a for a in data["annotations"] if a["image_id"] == 1]
        assert sorted((a["track_id"], a["category_id"]) for a in frame0) == [(1, 2), (2, 1), (3, 2)]
        assert used == {1, 2, 3, 4, 6, 7}
    assert [v["id"] for v in data["videos"]] == [f"instrument_dataset_{n}" for n in (1, 2, 3)]


def test_frames_copied_with_order(raw, tmp_path):
    root = raw.endovis17(tmp_path / "raw")
    out = tmp_path / "ev17.json"
    convert_endovis(root, out, tmp_path / "imgs", year=2017)
    data = raw.load_json(out)
    assert [im["id"] for im in data["images"]] == list(range(1, 10))
    for im in data["images"]:
        assert im["file_name"] == f"{im['video_id']}/{im['order_in_video']:05d}.png"
        src = root / im["video_id"] / "left_frames" / f"frame{im['order_in_video']:03d}.png"
        assert (tmp_path / "imgs" / im["file_name"]).read_bytes() == src.read_bytes()
        assert (im["height"], im["width"]) == (raw.H, raw.W)
    # Maryland bipolar (track 2: folders sorted Left, Maryland, Right) leaves the view in the last frame
    last = next(im for im in data["images"] if im["video_id"] == "instrument_dataset_1" and im["order_in_video"] == 2)
    assert {a["track_id"] for a in data["annotations"] if a["image_id"] == last["id"]} == {1, 3}


@pytest.mark.parametrize("box", [(0, 64, 0, 80), (4, 60, 8, 72), (10, 30, 20, 79)])
def test_crop_box(raw, tmp_path, box):
    root = raw.endovis17(tmp_path / "raw")
    out = tmp_path / "ev17.json"
    convert_endovis(root, out, tmp_path / "imgs", crop_box=box)
    data = raw.load_json(out)
    raw.assert_matches(data, expected17(raw, root, "type", crop=box))
    y0, y1, x0, x1 = box
    im = data["images"][0]
    assert (im["height"], im["width"]) == (y1 - y0, x1 - x0)
    frame = raw.read_label(tmp_path / "imgs" / im["file_name"])
    src = raw.read_label(root / "instrument_dataset_1" / "left_frames" / "frame000.png")
    np.testing.assert_array_equal(frame, src[y0:y1, x0:x1])


def test_default_crop_is_the_usual_endovis17_box(raw, tmp_path):
    assert endovis17.CROP_BOX == (28, 1052, 320, 1600)
    videos = {1: ["Bipolar_Forceps_labels"]}
    root = raw.endovis17(tmp_path / "raw", frames=1, h=1080, w=1920, videos=videos)
    lab = np.zeros((1080, 1920), np.uint8)
    lab[20:40, 310:330] = 10  # straddles the crop border
    lab[1000:1080, 1590:1700] = 30
    raw.save(root / "instrument_dataset_1" / "ground_truth" / "Bipolar_Forceps_labels" / "frame000.png", lab)
    out = tmp_path / "ev17.json"
    convert_endovis(root, out, tmp_path / "imgs", crop=True)
    data = raw.load_json(out)
    assert (data["images"][0]["height"], data["images"][0]["width"]) == (1024, 1280)
    raw.assert_matches(data, {("instrument_dataset_1", 0): {1: (1, lab[28:1052, 320:1600] > 0)}})


def test_test_layout_type_segmentation(raw, tmp_path):
    vdir = tmp_path / "raw" / "instrument_dataset_9"
    labels = {}
    for t in (225, 226):
        raw.save(vdir / "left_frames" / f"frame{t}.png", raw.frame_rgb(t))
        lab = np.zeros((raw.H, raw.W), np.uint8)
        lab[5:20, 5:30] = 2
        lab[25:40, 10:60] = 6 if t == 225 else 0
        raw.save(vdir / "TypeSegmentation" / f"frame{t}.png", lab)
        labels[t] = lab
    out = tmp_path / "ev17.json"
    convert_endovis(tmp_path / "raw", out, tmp_path / "imgs", task="type")
    expected = {("instrument_dataset_9", t): {c: (c, lab == c) for c in range(1, 8)} for t, lab in labels.items()}
    raw.assert_matches(raw.load_json(out), expected)


@pytest.mark.parametrize("split", ["fold0", "fold1"])
def test_fold_split_writes_train_and_val(raw, tmp_path, split):
    videos = dict(raw.E17_VIDEOS)
    videos[5] = ["Prograsp_Forceps_labels"]
    root = raw.endovis17(tmp_path / "raw", videos=videos)
    out = tmp_path / "ev17.json"
    convert_endovis(root, out, tmp_path / "imgs", split=split)
    assert not out.exists()
    train, valj = raw.load_json(tmp_path / "ev17_train.json"), raw.load_json(tmp_path / "ev17_val.json")
    fold = set(endovis17.FOLDS[split]) & set(videos)
    assert {v["id"] for v in valj["videos"]} == {f"instrument_dataset_{n}" for n in fold}
    assert {v["id"] for v in train["videos"]} == {f"instrument_dataset_{n}" for n in set(videos) - fold}
    # ids are those of the unsplit conversion, so train and val never share one
    assert not {im["id"] for im in train["images"]} & {im["id"] for im in valj["images"]}


def test_val_videos_accepts_numbers_and_ids(raw, tmp_path):
    root = raw.endovis17(tmp_path / "raw")
    convert_endovis(root, tmp_path / "a.json", tmp_path / "imgs", val_videos="2, instrument_dataset_3")
    assert {v["id"] for v in raw.load_json(tmp_path / "a_val.json")["videos"]} == {
        "instrument_dataset_2", "instrument_dataset_3"}


def test_rerun_is_byte_identical(raw, tmp_path):
    root = raw.endovis17(tmp_path / "raw")
    out = tmp_path / "out" / "ev17.json"
    convert_endovis(root, out, tmp_path / "out" / "imgs", crop_box=(2, 60, 3, 77), split="fold0")
    first = raw.digest(tmp_path / "out")
    convert_endovis(root, out, tmp_path / "out" / "imgs", crop_box=(2, 60, 3, 77), split="fold0")
    assert raw.digest(tmp_path / "out") == first
    assert set(first) >= {"ev17_train.json", "ev17_val.json", "imgs/instrument_dataset_1/00000.png"}


def test_existing_image_root_keeps_other_content(raw, tmp_path):
    root = raw.endovis17(tmp_path / "raw")
    imgs = tmp_path / "imgs"
    (imgs / "other_dataset").mkdir(parents=True)
    (imgs / "other_dataset" / "keep.txt").write_text("x")
    (imgs / "instrument_dataset_1").mkdir()
    (imgs / "instrument_dataset_1" / "stale.png").write_text("old")
    convert_endovis(root, tmp_path / "ev17.json", imgs)
    assert (imgs / "other_dataset" / "keep.txt").read_text() == "x"
    assert not (imgs / "instrument_dataset_1" / "stale.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev17.json", "imgs", "raw"]
