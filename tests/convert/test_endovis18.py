"""EndoVis 2018 -> COCO clip: scene classes from labels.json colours, instrument-type labels, splits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sam2_video.convert import endovis18
from sam2_video.convert.endovis import convert_endovis


def expected18(raw, root, seqs=(1, 2, 3), drop_background=False):
    exp = {}
    for s in seqs:
        for t in range(3):
            rgb = np.asarray(raw.read_label(root / f"seq_{s}" / "labels" / f"frame{t:03d}.png"))[..., :3]
            exp[(f"seq_{s}", t)] = {
                c: (c, np.all(rgb == np.array(col, np.uint8), axis=-1))
                for c, col in raw.E18_COLOURS.items() if not (drop_background and c == 0)
            }
    return exp


@pytest.mark.parametrize("drop_background", [False, True])
def test_scene_classes_from_labels_json(raw, tmp_path, drop_background):
    root = raw.endovis18(tmp_path / "raw")
    out = tmp_path / "ev18.json"
    convert_endovis(root, out, tmp_path / "imgs", task="scene", drop_background=drop_background)  # year detected
    data = raw.load_json(out)
    raw.assert_matches(data, expected18(raw, root, drop_background=drop_background))
    want = {c: f"class-{c}" for c in raw.E18_COLOURS if not (drop_background and c == 0)}
    assert {c["id"]: c["name"] for c in data["categories"]} == want


def test_builtin_table_without_labels_json(raw, tmp_path):
    root = raw.endovis18(tmp_path / "raw", seqs=(4,), labels_json=False)
    out = tmp_path / "ev18.json"
    convert_endovis(root, out, tmp_path / "imgs", year=2018, task="scene")
    data = raw.load_json(out)
    raw.assert_matches(data, expected18(raw, root, seqs=(4,)))
    names = {c["id"]: c["name"] for c in data["categories"]}
    assert names[1] == "instrument-shaft" and names[6] == "thread"


def test_standard_split(raw, tmp_path):
    root = raw.endovis18(tmp_path / "raw", seqs=(1, 2, 5))
    convert_endovis(root, tmp_path / "ev18.json", tmp_path / "imgs", split="standard", task="scene")
    assert [v["id"] for v in raw.load_json(tmp_path / "ev18_val.json")["videos"]] == ["seq_2", "seq_5"]
    assert [v["id"] for v in raw.load_json(tmp_path / "ev18_train.json")["videos"]] == ["seq_1"]


def test_instrument_type_labels(raw, tmp_path):
    root = raw.endovis18(tmp_path / "raw", seqs=(1,))
    inst = root / "seq_1" / "instrument_labels"
    exp = {("seq_1", t): {} for t in range(3)}
    for t in range(3):
        for cls, i, (y0, x0) in ((2, 0, (5, 5)), (2, 1, (15, 20)), (4, 0, (30, 40))):
            if t == 2 and cls == 4:
                continue  # scissors absent in the last frame: an empty frame for that track
            m = np.zeros((raw.H, raw.W), np.uint8)
            m[y0 + t:y0 + t + 20, x0:x0 + 25] = 255
            raw.save(inst / f"frame{t:03d}_class{cls}_inst{i}.png", m)
            exp[("seq_1", t)][100 * cls + i] = (cls, m > 0)
    out = tmp_path / "types.json"
    convert_endovis(root, out, tmp_path / "imgs", year=2018, task="type")
    data = raw.load_json(out)
    raw.assert_matches(data, exp)
    assert {c["id"]: c["name"] for c in data["categories"]} == {2: "prograsp_forceps", 4: "monopolar_curved_scissors"}
    assert endovis18.TYPE_CATEGORIES == {
        1: "bipolar_forceps", 2: "prograsp_forceps", 3: "large_needle_driver", 4: "monopolar_curved_scissors",
        5: "ultrasound_probe", 6: "suction_instrument", 7: "clip_applier"}


def test_all_categories_flag(raw, tmp_path):
    root = raw.endovis18(tmp_path / "raw", seqs=(1,))
    rows = json.loads((root / "labels.json").read_text()) + [{"name": "unused", "color": [1, 2, 3], "classid": 9}]
    (root / "labels.json").write_text(json.dumps(rows))
    convert_endovis(root, tmp_path / "a.json", tmp_path / "imgs", all_categories=True, task="scene")
    assert 9 in {c["id"] for c in raw.load_json(tmp_path / "a.json")["categories"]}
    convert_endovis(root, tmp_path / "b.json", tmp_path / "imgs", task="scene")
    assert 9 not in {c["id"] for c in raw.load_json(tmp_path / "b.json")["categories"]}


def test_2018_default_task_is_what_data_endovis18_reads(raw, tmp_path):
    """--year 2018 without --task gives instrument types (data=endovis18); scene needs --task scene."""
    from sam2_video.config import compose_config
    from sam2_video.data.sources import check_category_names
    from sam2_video.data.coco_clips import load_coco_index
    from sam2_video.errors import DatasetError

    root = raw.endovis18(tmp_path / "raw", seqs=(1,), labels_json=False)  # the release's class table
    with pytest.raises(DatasetError, match="--task scene"):  # scene-only download: the error says what to do
        convert_endovis(root, tmp_path / "t.json", tmp_path / "imgs", year=2018)
    convert_endovis(root, tmp_path / "scene.json", tmp_path / "simgs", year=2018, task="scene")
    scene = compose_config(["data=endovis18_scene", "output_dir=/x"]).data.category_names
    index = load_coco_index(tmp_path / "scene.json", tmp_path / "simgs", check_files=False)
    names = {k: v for k, v in endovis18.SCENE_CLASSES_BY_ID.items()}
    check_category_names(index, {int(k): v for k, v in scene.items()})  # the scene config matches the converter
    types = compose_config(["data=endovis18", "output_dir=/x"]).data.category_names
    assert {int(k): v.lower() for k, v in types.items()} == endovis18.TYPE_CATEGORIES and names[11] == "ultrasound-probe"
