"""Checkpoints: last.ckpt is the last state, only finite states are kept, CSV history survives a
resume, the model settings travel with the .ckpt, and every load is weights-only."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from sam2_video.config import compose_config
from sam2_video.errors import CheckpointError, TrainingDivergedError
from sam2_video.model.checkpoint import load_file, read_state_dict
from sam2_video.model.stored_config import MODEL_CONFIG_KEY, adopt_stored_settings
from sam2_video.training import train as train_mod
from sam2_video.training.checkpointing import WeightsOnlyCheckpointIO
from sam2_video.training.run_setup import resolve_ckpt_path

REPO = Path(__file__).resolve().parents[2]


def run_cfg(tmp: Path, root: Path, *overrides: str):
    return compose_config([
        "sam2=debug", "trainer=cpu", "logger=default", f"output_dir={tmp / 'run'}", f"paths.root_dir={tmp}",
        f"data.root={root}", "data.num_workers=0", "data.clip_length=4", "trainer.limit_train_batches=1",
        "trainer.limit_val_batches=1", "trainer.log_every_n_steps=1", "evaluate_after_training=false",
        "export_official=false", "model.multimask_output_for_tracking=false", *overrides])


@pytest.fixture(scope="module")
def three_epochs(tmp_path_factory, synthetic_root):
    tmp = tmp_path_factory.mktemp("ckpt")
    train_mod.train(run_cfg(tmp, synthetic_root, "trainer.max_epochs=3"))
    return tmp


def test_last_ckpt_is_the_last_epoch(three_epochs):
    """Lightning refreshed last.ckpt only when best improved; ours is written after every epoch."""
    last = torch.load(three_epochs / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (2, 3)


def test_model_settings_stored_and_used_at_evaluation(three_epochs, synthetic_root):
    ckpt = three_epochs / "run" / "checkpoints" / "last.ckpt"
    stored = torch.load(ckpt, weights_only=True)[MODEL_CONFIG_KEY]
    assert stored["image_size"] == 128 and stored["multimask_output_for_tracking"] is False
    # evaluating it with the default tracking setting: the checkpoint's own settings are used
    cfg = compose_config(["sam2=debug", "output_dir=/tmp/unused", f"model.checkpoint_path={ckpt}"])
    changed = adopt_stored_settings(cfg)
    assert "multimask_output_for_tracking" in changed and cfg.model.multimask_output_for_tracking is False
    assert cfg.model.net.multimask_output_for_tracking is False
    # resuming with other settings is refused: a resumed run must be the same run
    bad = run_cfg(three_epochs, synthetic_root, "model.num_maskmem=5")
    with pytest.raises(CheckpointError, match="num_maskmem=7"):
        resolve_ckpt_path(str(ckpt), three_epochs / "run", bad)


def test_resume_keeps_csv_history(three_epochs, synthetic_root):
    csv_path = three_epochs / "run" / "csv" / "metrics.csv"
    before = [r for r in csv.DictReader(open(csv_path)) if r.get("val/jf")]
    assert [r["epoch"] for r in before] == ["0", "1", "2"]
    train_mod.train(run_cfg(three_epochs, synthetic_root, "trainer.max_epochs=4", "ckpt_path=auto"))
    rows = list(csv.DictReader(open(csv_path)))
    assert [r["epoch"] for r in rows if r.get("val/jf")] == ["0", "1", "2", "3"]
    assert sorted(int(r["step"]) for r in rows) == [int(r["step"]) for r in rows]  # no duplicated / lost steps
    last = torch.load(three_epochs / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (3, 4)


class PoisonWeights(Callback):
    """Fault injection: weights explode just before the 2nd epoch's validation."""

    def on_validation_start(self, trainer, module):
        if trainer.current_epoch == 1:
            with torch.no_grad():
                next(p for p in module.parameters() if p.requires_grad).fill_(float("nan"))


def test_diverged_validation_keeps_last_good_checkpoints(tmp_path, synthetic_root, monkeypatch):
    build = train_mod.build_callbacks
    monkeypatch.setattr(train_mod, "build_callbacks", lambda cfg, **kw: [*build(cfg, **kw), PoisonWeights()])
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        train_mod.train(run_cfg(tmp_path, synthetic_root, "trainer.max_epochs=3", "logger=none"))
    ckpts = tmp_path / "run" / "checkpoints"
    for name in ("last.ckpt", "best.ckpt"):
        state = torch.load(ckpts / name, weights_only=True)
        assert state["epoch"] == 0, name
        assert all(torch.isfinite(v).all() for v in state["state_dict"].values() if v.is_floating_point())


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['EVIL_MARKER']}",))


@pytest.fixture
def evil_ckpt(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("EVIL_MARKER", str(marker))
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "loops": {}, "payload": Evil()}, path)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # must not re-enable unpickling
    return path, marker


def test_every_loader_refuses_pickled_code(evil_ckpt, tmp_path, synthetic_root):
    path, marker = evil_ckpt
    loaders = [lambda: load_file(path), lambda: read_state_dict(path),
               lambda: WeightsOnlyCheckpointIO().load_checkpoint(path),
               lambda: resolve_ckpt_path(str(path), tmp_path, run_cfg(tmp_path, synthetic_root))]
    for load in loaders:
        with pytest.raises(CheckpointError, match="evil.ckpt.*needs code to unpickle"):
            load()
    assert not marker.exists()


def test_resume_from_malicious_file_is_one_error_and_writes_nothing(evil_ckpt, tmp_path, synthetic_root):
    path, marker = evil_ckpt
    with pytest.raises(CheckpointError, match="^ckpt_path="):
        train_mod.train(run_cfg(tmp_path, synthetic_root, f"ckpt_path={path}", "trainer.max_epochs=1"))
    assert not marker.exists() and not (tmp_path / "run").exists()


def test_no_other_torch_load_in_the_project():
    """Every checkpoint goes through sam2_video.model.checkpoint.load_file."""
    offenders = []
    for folder in ("sam2_video", "bench", "data"):
        for p in (REPO / folder).rglob("*.py"):
            if p.name != "checkpoint.py" and re.search(r"torch\.load\(|pl_load\(|\.load_from_checkpoint\(", p.read_text()):
                offenders.append(str(p.relative_to(REPO)))
    for p in REPO.glob("*.py"):
        if re.search(r"torch\.load\(", p.read_text()):
            offenders.append(p.name)
    assert not offenders, offenders


def test_malformed_dataset_refused_before_anything_is_written(tmp_path, synthetic_root):
    import shutil

    from sam2_video.errors import DatasetError

    root = tmp_path / "ds"
    shutil.copytree(synthetic_root, root)
    (root / "train.json").write_text('{"images": [], "annotations": "oops"')  # truncated JSON
    with pytest.raises(DatasetError):
        train_mod.train(run_cfg(tmp_path, root, "trainer.max_epochs=1"))
    assert not (tmp_path / "run").exists()
