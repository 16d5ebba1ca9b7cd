"""Every shipped combo and named config composes and instantiates; one combo per prompt type trains."""

from __future__ import annotations

from functools import lru_cache

import pytest
import torch
from omegaconf import OmegaConf

from sam2_video.combos import DEFAULT_OUTPUT_DIR, INDEX_NAME, read_index
from sam2_video.config import CONFIG_DIR, build, compose_config
from sam2_video.training.module import build_module
from sam2_video.results import collect_runs
from sam2_video.training.losses import SAM2VideoLoss

INDEX = {r["config_name"]: r for r in read_index(DEFAULT_OUTPUT_DIR / INDEX_NAME)}
COMBOS = sorted(p.relative_to(CONFIG_DIR).with_suffix("").as_posix() for p in DEFAULT_OUTPUT_DIR.glob("*/*.yaml"))
NAMED = {"best": "dice_main", "dice_loss_only": "dice_only"}  # named config -> loss preset it selects
BASE = ["sam2=debug", "output_dir=/tmp/unused", "logger=none"]


@lru_cache(maxsize=None)
def loss_weights(preset: str) -> dict:
    return OmegaConf.to_container(compose_config(BASE + [f"loss={preset}"]).loss.weight_dict)


def _compose_and_build(config_name: str):
    cfg = compose_config(BASE, config_name=config_name)
    assert isinstance(build(cfg.loss), SAM2VideoLoss)
    build(cfg.optim.scheduler)
    build_module(cfg)  # model (seeded), loss, optimiser, prompt spec, validation protocol
    data = OmegaConf.to_container(cfg.data, resolve=True)
    assert data["_target_"].endswith("ClipDataModule") and data["image_size"] > 0
    return cfg


def test_every_combo_is_indexed():
    assert COMBOS and set(COMBOS) == set(INDEX)  # every combo file has its index row and back


@pytest.mark.parametrize("config_name", COMBOS)
def test_combo_composes_and_instantiates(config_name):
    cfg = _compose_and_build(config_name)
    row = INDEX[config_name]
    probs = OmegaConf.to_container(cfg.prompt.train.mix)
    assert probs == {k: float(k == row["prompt_kind"]) for k in ("point", "box", "mask", "auto")}
    assert cfg.prompt.kind == row["prompt_kind"] and "prompt_type" not in cfg.eval  # one place: the prompt group
    assert OmegaConf.to_container(cfg.loss.weight_dict) == loss_weights(row["loss"])
    assert cfg.data.category_names is not None  # the dataset's config, not synthetic
    if row["prompt_kind"] == "point":
        assert cfg.prompt.num_pos_points == int(row["num_pos_points"])
        assert cfg.prompt.num_neg_points == int(row["num_neg_points"])


@pytest.mark.parametrize("config_name", sorted(NAMED))
def test_named_config_composes_and_instantiates(config_name):
    cfg = _compose_and_build(config_name)
    assert cfg.task_name == config_name
    assert OmegaConf.to_container(cfg.loss.weight_dict) == loss_weights(NAMED[config_name])


def test_command_line_overrides_beat_the_combo():
    cfg = compose_config(BASE + ["loss=equal", "prompt.kind=mask"], config_name="combo/endovis18/1")
    assert cfg.prompt.kind == "mask" and cfg.loss.weight_dict == loss_weights("equal")


@pytest.fixture
def one_thread():
    """One torch thread: on a busy shared CPU two threads spin-wait and run many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("number, kind", [(1, "point"), (5, "box"), (10, "mask")])
def test_combo_trains_one_step_on_synthetic_data(make_cfg, synthetic_root, tmp_path, one_thread, number, kind):
    from sam2_video.training.train import train

    cfg = make_cfg("data=synthetic", f"data.root={synthetic_root}", "trainer.max_steps=1",
                   "trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "evaluate_after_training=false",
                   "export_official=false", "data.clip_length=4", "data.augment=null",
                   config_name=f"combo/endovis18/{number}")
    assert cfg.prompt.train.mix[kind] == 1.0 and cfg.prompt.kind == kind
    result = train(cfg)
    assert result["global_step"] == 1 and "val/jf" in result["final"]
    (run,) = collect_runs(tmp_path)
    assert run.status == "ok" and run.settings["task_name"] == f"combo_endovis18_{number}"
    assert run.metrics["val/jf"] == pytest.approx(result["final"]["val/jf"])
