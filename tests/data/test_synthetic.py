"""Synthetic generator: deterministic, atomic, documented COCO format, DAVIS copy, CLI."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from loguru import logger
from pycocotools import mask as mask_utils

from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.synthetic import SyntheticSpec, generate, main
from sam2_video.errors import ConfigError


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_deterministic_and_seed_dependent(tmp_path):
    spec = SyntheticSpec(num_videos=2, num_frames=3, size=(48, 64), seed=5)
    a, b = spec.generate(tmp_path / "a"), spec.generate(tmp_path / "b")
    assert _digest(a) == _digest(b)
    c = SyntheticSpec(num_videos=2, num_frames=3, size=(48, 64), seed=6).generate(tmp_path / "c")
    assert _digest(a) != _digest(c)


def test_atomic_and_refuses_existing(tmp_path):
    spec = SyntheticSpec(num_videos=2, num_frames=2, size=(32, 32))
    out = spec.generate(tmp_path / "ds")
    with pytest.raises(ConfigError, match="already exists"):
        spec.generate(out)
    generate(SyntheticSpec(num_videos=3, num_frames=2, size=(32, 32)), out, overwrite=True)
    assert len(json.loads((out / "train.json").read_text())["videos"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temporary folders left


def test_format_and_content(synthetic_dir):
    train = json.loads((synthetic_dir / "train.json").read_text())
    val = json.loads((synthetic_dir / "val.json").read_text())
    assert {v["id"] for v in train["videos"]}.isdisjoint({v["id"] for v in val["videos"]})
    ann = train["annotations"][0]
    assert isinstance(ann["segmentation"]["counts"], str) and ann["segmentation"]["size"] == [96, 128]
    assert {"track_id", "category_id", "bbox", "area", "iscrowd"} <= ann.keys()
    assert ann["area"] == int(mask_utils.area(ann["segmentation"]))
    im = train["images"][0]
    assert {"video_id", "order_in_video", "file_name", "height", "width"} <= im.keys()
    for split in ("train", "val"):  # every category in every split (else the loader would refuse it)
        index = load_coco_index(synthetic_dir / f"{split}.json")
        assert {c for v in index for c in v.categories.values()} == {1, 2, 3}
    # objects are large enough to learn, and move
    index = load_coco_index(synthetic_dir / "train.json")
    v = index.videos[0]
    m0, m5 = v.load_masks(0), v.load_masks(5)
    big = [k for k in m0 if m0[k].sum() > 0.01 * 96 * 128]
    assert big and any(k in m5 and not np.array_equal(m0[k], m5[k]) for k in big)


def test_cli(tmp_path):
    messages = []
    sink = logger.add(messages.append, format="{message}", level="INFO")
    try:
        rc = main(["--out", str(tmp_path / "cli"), "--num-videos", "2", "--num-frames", "2", "--size", "32", "40"])
    finally:
        logger.remove(sink)
    assert rc == 0 and any("train 1 videos" in m for m in messages)
    assert (tmp_path / "cli" / "Annotations").is_dir() and (tmp_path / "cli" / "ImageSets" / "2017" / "val.txt").is_file()
    assert main(["--out", str(tmp_path / "cli"), "--num-videos", "2"]) == 2


def test_spec_validation():
    with pytest.raises(ConfigError, match="num_videos"):
        SyntheticSpec(num_videos=1)
