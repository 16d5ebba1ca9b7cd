"""ClipDataModule through the real config tree: synthetic generation, loaders, indexes, errors."""

from __future__ import annotations

import pytest
import torch

from sam2_video.config import build, compose_config
from sam2_video.data.batch import ClipBatch
from sam2_video.data.datamodule import ClipDataModule
from sam2_video.prompt import PromptSpec
from sam2_video.errors import ConfigError


def _data_cfg(*overrides):
    return compose_config(["sam2=debug", "data.num_workers=0", *overrides]).data


def test_synthetic_config_generates_and_loads(tmp_path):
    root = tmp_path / "synth"
    cfg = _data_cfg(
        f"data.root={root}", "data.synthetic.num_videos=3", "data.synthetic.num_frames=9",
        "data.synthetic.size=[64,80]", "data.clip_length=4", "data.batch_size=2",
    )
    dm = build(cfg)
    assert isinstance(dm, ClipDataModule) and isinstance(dm.prompt, PromptSpec) and dm.image_size == 128
    assert dm.augment is not None and dm.augment.scale == (0.9, 1.15)
    dm.prepare_data()
    assert (root / "train.json").is_file() and (root / "Annotations").is_dir()
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert isinstance(batch, ClipBatch) and batch.frames.shape == (4, 2, 3, 128, 128)
    val = list(dm.val_dataloader())
    assert len(val) == 2 and val[0].num_clips == 2  # 1 val video, 9 frames, windows at 0, 4, 5 -> 3 clips
    assert dm.categories == {1: "ellipse", 2: "polygon", 3: "instrument"}
    index = dm.video_index("val")
    assert len(index) == 1 and len(index.videos[0]) == 9


def test_train_sampler_epochs_differ_but_repeat(synthetic_dir):
    dm = ClipDataModule(root=str(synthetic_dir), image_size=64, clip_length=3, seed=4)
    loader = dm.train_dataloader()
    def epoch(e):
        loader.sampler.set_epoch(e)
        return [b.clip_ids[0] for b in loader]
    assert epoch(0) == epoch(0) and epoch(0) != epoch(1)


def test_davis_format_same_clips_as_coco(synthetic_dir):
    kw = dict(root=str(synthetic_dir), image_size=64, clip_length=4, seed=0)
    coco = ClipDataModule(format="coco", **kw).make_dataset("val")
    davis = ClipDataModule(format="davis", **kw).make_dataset("val")
    assert len(coco) == len(davis)
    for i in range(len(coco)):
        a, b = coco[i], davis[i]
        assert a.clip_id == b.clip_id and torch.equal(a.masks, b.masks) and torch.equal(a.frames, b.frames)


def test_missing_paths_are_config_errors():
    dm = ClipDataModule(image_size=64)
    with pytest.raises(ConfigError, match=r"set data.root=... or data.train_path/data.val_path"):
        dm.video_index("val")
    with pytest.raises(ConfigError, match=r"data.root=/nonexistent/x does not exist: set data.root=..."):
        ClipDataModule(root="/nonexistent/x").video_index("train")
    with pytest.raises(ConfigError, match="data.format"):
        ClipDataModule(format="voc")


def test_category_names_checked_against_json(synthetic_dir):
    dm = ClipDataModule(root=str(synthetic_dir), image_size=64, category_names={1: "ellipse", 2: "scissors", 3: "x"})
    from sam2_video.errors import DatasetError

    with pytest.raises(DatasetError, match=r"category 2 is 'polygon' but data.category_names says 'scissors'"):
        dm.video_index("train")


@pytest.mark.parametrize("name", ["coco", "endovis17", "endovis18", "cholecseg8k", "davis", "polyp"])
def test_every_dataset_config_instantiates(name, tmp_path):
    dm = build(_data_cfg(f"data={name}", f"data.root={tmp_path}"))
    assert isinstance(dm, ClipDataModule)
    expect = {"endovis17": (384, 10), "endovis18": (384, 10), "cholecseg8k": (512, 8)}.get(name, (128, 8))
    assert (dm.image_size, dm.clip_length) == expect
    if name in ("endovis17", "endovis18"):
        assert len(dm.category_names) == 7
    if name == "cholecseg8k":
        assert len(dm.category_names) == 13


def test_sampler_advances_without_set_epoch():
    from sam2_video.data.sampler import ClipSampler

    s = ClipSampler(20, seed=1)
    first, second = list(s), list(s)
    assert first != second and {e for _, e in first} == {0} and {e for _, e in second} == {1}
    s.set_epoch(0)
    assert list(s) == first


def test_worker_loaders_after_parent_used_cv2(synthetic_dir):
    """Forked workers must not hang on OpenCV's inherited thread pool (regression)."""
    dm = ClipDataModule(root=str(synthetic_dir), image_size=96, clip_length=3, num_workers=0)
    first = [b.clip_ids for b in dm.val_dataloader()]  # cv2 work in this process first
    dm2 = ClipDataModule(root=str(synthetic_dir), image_size=96, clip_length=3, num_workers=2)
    loader = dm2.val_dataloader()
    loader.timeout = 60  # a hang becomes an error
    assert [b.clip_ids for b in loader] == first
    assert len(list(dm2.train_dataloader())) == len(dm2.datasets["train"])


def test_root_finds_converter_split_files(tmp_path):
    """data.root=DIR reads DIR/<split>.json, else the one DIR/*_<split>.json a converter's --split wrote."""
    from sam2_video.data.sources import default_split_path

    (tmp_path / "endovis_train.json").write_text("{}")
    assert default_split_path("coco", tmp_path, "train") == tmp_path / "endovis_train.json"
    assert default_split_path("coco", tmp_path, "val") == tmp_path / "val.json"  # missing: reported by the loader
    (tmp_path / "other_train.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"several train splits .*data.train_path"):
        default_split_path("coco", tmp_path, "train")
    (tmp_path / "train.json").write_text("{}")
    assert default_split_path("coco", tmp_path, "train") == tmp_path / "train.json"


def test_pin_memory_auto_follows_cuda(synthetic_dir):
    dm = ClipDataModule(root=str(synthetic_dir), image_size=96, clip_length=3, num_workers=0)
    assert dm.pin_memory is torch.cuda.is_available()  # the default is "auto"
    assert ClipDataModule(root=str(synthetic_dir), image_size=96, pin_memory=False).pin_memory is False
    with pytest.raises(ConfigError, match="data.pin_memory='yes'"):
        ClipDataModule(root=str(synthetic_dir), image_size=96, pin_memory="yes")
