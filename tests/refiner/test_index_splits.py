"""dataset.jsonl from a pair folder and from cfg.data; splits by video never leak."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sam2_video.errors import DatasetError
from sam2_video.refiner.index import INDEX_FILE, check_no_leak, read_class_map, read_index, write_index
from sam2_video.refiner.make_data import build_index
from sam2_video.refiner.sources import records_from_folder
from sam2_video.refiner.splits import assign_splits


def _videos_by_split(records):
    out = {}
    for r in records:
        out.setdefault(r.video_id, set()).add(r.split)
    return out


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("val,test", [(0.2, 0.0), (0.34, 0.17), (0.5, 0.0)])
def test_folder_splits_are_by_video(pair_folder, seed, val, test):
    records, meta = records_from_folder(*pair_folder)
    assert meta.num_classes == 2 and len(records) == 18
    split = assign_splits(records, val, test, seed)
    by_video = _videos_by_split(split)
    assert len(by_video) == 6 and all(len(s) == 1 for s in by_video.values())
    assert {"train", "val"} <= {r.split for r in split}
    assert (test > 0) == any(r.split == "test" for r in split)


def test_video_regex_groups_flat_frames(tmp_path):
    from tests.refiner.conftest import shapes, write_pair

    images, masks = tmp_path / "i", tmp_path / "m"
    for p in range(4):
        for f in range(3):
            write_pair(images, masks, f"patient{p}_{f:02d}", shapes(40, 40, p * 3 + f))
    records, _ = records_from_folder(images, masks, video_regex=r"^(patient\d+)_")
    assert sorted({r.video_id for r in records}) == [f"patient{p}" for p in range(4)]
    assert [r.frame_id for r in records if r.video_id == "patient2"] == [0, 1, 2]
    by_video = _videos_by_split(assign_splits(records, 0.25, 0.0, 3))
    assert all(len(s) == 1 for s in by_video.values())


def test_leak_is_refused_on_write_and_read(pair_folder, tmp_path):
    records, meta = records_from_folder(*pair_folder)
    split = assign_splits(records, 0.3, 0.0, 0)
    leaked = [split[0].__class__(**{**split[0].__dict__, "split": "val" if split[0].split == "train" else "train"}),
              *split[1:]]
    with pytest.raises(DatasetError, match=split[0].video_id):
        check_no_leak(leaked)
    with pytest.raises(DatasetError, match="split by video"):
        write_index(tmp_path / "w", leaked, meta)
    assert not (tmp_path / "w" / INDEX_FILE).exists()
    write_index(tmp_path / "w", split, meta)
    path = tmp_path / "w" / INDEX_FILE
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["split"] = "val" if rows[0]["split"] == "train" else "train"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DatasetError, match="in splits"):
        read_index(tmp_path / "w")


def test_index_from_datamodule_keeps_video_splits(make_cfg, tmp_path):
    cfg = make_cfg("experiment=refiner_demo", f"refiner.work_dir={tmp_path / 'w'}", "data.synthetic=null")
    records, meta = build_index(cfg, tmp_path / "w")
    back, meta2 = read_index(tmp_path / "w")
    assert back == sorted(records, key=lambda r: r.key) and meta2 == meta
    assert all(len(s) == 1 for s in _videos_by_split(back).values())
    assert {r.split for r in back} == {"train", "val"}
    row = back[0]
    labels = read_class_map(row.mask_path, meta.num_classes)
    assert tuple(int(c) for c in np.unique(labels) if c) == row.classes_present
    fields = set(json.loads((tmp_path / "w" / INDEX_FILE).read_text().splitlines()[0]))
    assert {"image_path", "mask_path", "video_id", "frame_id", "classes_present"} <= fields


def test_hostile_video_ids_cannot_escape_the_work_dir(pair_folder, tmp_path):
    records, meta = records_from_folder(*pair_folder)
    evil = records[0].__class__(**{**records[0].__dict__, "key": "../../outside/x", "video_id": "..", "split": "train"})
    rest = [r.__class__(**{**r.__dict__, "split": "train"}) for r in records[1:]]
    with pytest.raises(DatasetError, match="unsafe key"):
        write_index(tmp_path / "w", [evil, *rest], meta)
    assert not (tmp_path / "w" / INDEX_FILE).exists()


def test_folder_frames_are_ordered_naturally(tmp_path):
    """frame_2 comes before frame_10 (the frame order of every entry point: natural sort)."""
    from sam2_video.refiner.sources import records_from_folder
    from tests.refiner.conftest import shapes, write_pair

    for f in (1, 2, 10, 11, 3):
        write_pair(tmp_path / "images", tmp_path / "masks", f"case0/frame_{f}", shapes(48, 64, f), seed=f)
    records, _ = records_from_folder(tmp_path / "images", tmp_path / "masks")
    assert [r.key for r in records] == [f"case0/frame_{f}" for f in (1, 2, 3, 10, 11)]
    assert [r.frame_id for r in records] == [0, 1, 2, 3, 4]
