"""Validation never steers training: how often a run validates, and whether it draws validation
pictures, must not change the weights it ends with (validation uses its own random streams)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from sam2_video.training.train import train

# Meta's prompt mix (point / box / mask: the model's prompt draws and the torch RNG of the correction
# clicks both matter), augmentation on, 2 epochs of 2 steps; validation on 1 clip.
TINY = ["trainer.max_epochs=2", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1",
        "evaluate_after_training=false", "export_official=false", "data.clip_length=3", "callbacks.val_vis.tile=32"]


def _final_weights(make_cfg, out: Path, *overrides: str) -> dict[str, torch.Tensor]:
    train(make_cfg(*TINY, f"output_dir={out}", *overrides))
    state = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith("model.")}


def test_final_weights_do_not_depend_on_validation_or_pictures(make_cfg, tmp_path):
    often = _final_weights(make_cfg, tmp_path / "often", "+validate_before_training=true",
                           "trainer.check_val_every_n_epoch=1", "callbacks.val_vis.count=1")
    rarely = _final_weights(make_cfg, tmp_path / "rarely", "trainer.check_val_every_n_epoch=2",
                            "callbacks.val_vis.count=1")
    no_pictures = _final_weights(make_cfg, tmp_path / "no_pictures", "trainer.check_val_every_n_epoch=1",
                                 "callbacks.val_vis.count=0")
    assert (tmp_path / "often" / "val_vis" / "epoch_000").is_dir()  # the pictures were drawn
    assert not (tmp_path / "rarely" / "val_vis" / "epoch_000").exists()  # no validation after epoch 0
    times = json.loads((tmp_path / "often" / "phase_times.json").read_text())  # callbacks.phase_times
    assert [e["steps"] for e in times["epochs"]] == [2, 2] and len(times["validation_outside_training_s"]) == 1
    assert all(e["val_s"] > 0 and e["train_s"] > 0 for e in times["epochs"])
    rare = json.loads((tmp_path / "rarely" / "phase_times.json").read_text())["epochs"]
    assert rare[0]["val_s"] == 0 < rare[1]["val_s"]  # validated after the second epoch only
    assert often.keys() == rarely.keys() == no_pictures.keys()
    for k in often:
        assert torch.equal(often[k], rarely[k]), f"{k}: validating every epoch vs every 2 epochs"
        assert torch.equal(often[k], no_pictures[k]), f"{k}: pictures on vs off"


def test_validation_leaves_the_global_random_streams_alone(make_cfg, tmp_path):
    """trainer.validate draws from its own streams: torch / numpy / python and the model's prompt RNG
    continue as if it had not run, and two validations of the same weights score the same."""
    import random

    from sam2_video.config import build
    from sam2_video.training.module import build_module
    from sam2_video.training.run_setup import build_callbacks, build_trainer

    cfg = make_cfg("callbacks.val_vis.count=1", "trainer.limit_val_batches=1", "data.clip_length=3",
                   f"output_dir={tmp_path / 'v'}", "logger=none", "prompt.kind=point")
    dm = build(cfg.data)
    module = build_module(cfg)
    trainer = build_trainer(cfg, build_callbacks(cfg, have_logger=False), [])  # with the pictures callback
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    model_rng = module.model.rng.bit_generator.state
    expected = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    first = trainer.validate(module, datamodule=dm, verbose=False)
    second = trainer.validate(module, datamodule=dm, verbose=False)
    got = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    assert torch.equal(expected[0], got[0]) and np.array_equal(expected[1], got[1]) and expected[2] == got[2]
    assert module.model.rng.bit_generator.state == model_rng
    assert first == second
    assert (tmp_path / "v" / "val_vis").is_dir()  # the pictures were drawn
