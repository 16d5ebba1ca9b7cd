"""``sam2_video.data.inspect`` decodes every frame and mask it checks and reports what training hits."""

from __future__ import annotations

import json
import shutil

import pytest

from sam2_video.data.inspect import main


@pytest.fixture
def dataset(tmp_path, synthetic_root):
    root = tmp_path / "ds"
    shutil.copytree(synthetic_root, root)
    return root


def _frames(root, split="val"):
    data = json.loads((root / f"{split}.json").read_text())
    return data, [root / im["file_name"] for im in data["images"]]


def _inspect(capsys, root, *extra):
    rc = main([str(root / "val.json"), "--image-size", "64", "--clip-length", "4", *extra])
    return rc, capsys.readouterr().out


def test_clean_dataset_has_no_problems(dataset, capsys):
    rc, out = _inspect(capsys, dataset)
    assert rc == 0 and "problems: 0" in out


def test_truncated_frame_is_a_problem(dataset, capsys):
    _, frames = _frames(dataset)
    data = frames[3].read_bytes()
    frames[3].write_bytes(data[: len(data) // 2])
    rc, out = _inspect(capsys, dataset)
    assert rc == 1 and "problems: 1" in out and frames[3].name in out and "unreadable frame" in out


def test_garbage_frame_is_a_problem(dataset, capsys):
    _, frames = _frames(dataset)
    frames[0].write_bytes(b"not an image at all")
    rc, out = _inspect(capsys, dataset)
    assert rc == 1 and "unreadable frame" in out and frames[0].name in out


def test_corrupt_rle_is_a_problem(dataset, capsys):
    data, _ = _frames(dataset)
    ann = next(a for a in data["annotations"] if isinstance(a.get("segmentation"), dict))
    ann["segmentation"]["counts"] = ann["segmentation"]["counts"][: len(ann["segmentation"]["counts"]) // 3]
    (dataset / "val.json").write_text(json.dumps(data))
    rc, out = _inspect(capsys, dataset)
    assert rc in (1, 2) and "problems: 0" not in out and "PROBLEM:" in out


def test_json_hints_name_the_flag(dataset, capsys, tmp_path):
    data, frames = _frames(dataset)
    frames[1].unlink()
    rc, out = _inspect(capsys, dataset)
    assert rc in (1, 2) and "PROBLEM:" in out and "data.image_root" not in out


def test_rle_run_lengths_match_pycocotools():
    import numpy as np
    from pycocotools import mask as mask_util

    from sam2_video.data.inspect import rle_run_lengths

    rng = np.random.default_rng(0)
    m = np.asfortranarray(rng.random((37, 53)) > 0.7).astype(np.uint8)
    rle = mask_util.encode(m)
    runs = rle_run_lengths(rle["counts"])
    assert sum(runs) == m.size and sum(runs[1::2]) == int(m.sum())
