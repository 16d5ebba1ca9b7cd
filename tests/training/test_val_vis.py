"""Validation pictures during training: saved PNGs, TensorBoard event file, W&B offline run, off switch."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_video.config import compose_config
from sam2_video.training.train import train
from sam2_video.training.val_vis import pick_indices

FAST = ["trainer.max_epochs=2", "trainer.limit_train_batches=1", "trainer.limit_val_batches=1",
        "evaluate_after_training=false", "export_official=false", "data.clip_length=3", "data.augment=null"]


def _cfg(tmp_path: Path, synthetic_root: Path, *overrides: str):
    return compose_config(["sam2=debug", "trainer=cpu", f"output_dir={tmp_path / 'run'}", f"paths.root_dir={tmp_path}",
                           f"data.root={synthetic_root}", "data.num_workers=0", *FAST, *overrides])


def test_pick_indices_fixed_and_spread():
    assert pick_indices(10, 3) == [0, 4, 9] and pick_indices(2, 5) == [0, 1] and pick_indices(7, 0) == []


def test_pictures_saved_and_in_tensorboard_and_wandb(tmp_path, synthetic_root, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for var in ("WANDB_DIR", "WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb_home"))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    cfg = _cfg(tmp_path, synthetic_root, "logger=wandb", "logger.wandb.offline=true", "callbacks.val_vis.count=2",
               "callbacks.val_vis.tile=64")
    train(cfg)
    out = Path(cfg.output_dir)

    # PNG files: the same two clips after each of the two validation epochs
    epochs = sorted(p.name for p in (out / "val_vis").iterdir())
    assert epochs == ["epoch_000", "epoch_001"]
    names = [sorted(p.name for p in (out / "val_vis" / e).glob("*.png")) for e in epochs]
    assert len(names[0]) == 2 and names[0] == names[1]
    strip = cv2.imread(str(out / "val_vis" / "epoch_000" / names[0][0]))
    n_frames = 3
    assert strip.shape[1] == n_frames * 64 + (n_frames - 1) * 2  # one 64 px column per frame
    assert strip.shape[0] > 3 * 64  # image / ground truth / prediction rows (+ title bars)
    assert not [p for p in (out / "val_vis").rglob(".*")]  # no temporary files

    # TensorBoard: read the event file back and find both clips at both validation steps
    acc = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    tags = [t for t in acc.Tags()["images"] if t.startswith("val_vis/")]
    assert len(tags) == 2
    for tag in tags:
        events = acc.Images(tag)
        assert len(events) == 2 and events[0].step < events[1].step
        decoded = cv2.imdecode(np.frombuffer(events[-1].encoded_image_string, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == strip.shape

    # W&B offline run: the images are logged as media of the run
    runs = list((out / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    media = list((runs[0] / "files" / "media" / "images").glob("val_vis_*.png"))
    assert len(media) == 4  # 2 clips x 2 validations
    assert cv2.imread(str(media[0])).shape == strip.shape


def test_count_zero_turns_pictures_off(tmp_path, synthetic_root):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = _cfg(tmp_path, synthetic_root, "logger=default", "callbacks.val_vis.count=0", "trainer.max_epochs=1")
    train(cfg)
    out = Path(cfg.output_dir)
    assert not (out / "val_vis").exists()
    acc = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    assert acc.Tags()["images"] == [] and "val/jf" in acc.Tags()["scalars"]


def test_bad_count_is_refused():
    from sam2_video.training.val_vis import ValidationPictures

    with pytest.raises(ValueError, match="callbacks.val_vis.count"):
        ValidationPictures(count=-1)


def test_log_images_reaches_tensorboard(tmp_path):
    """The one picture logger (validation strips, the refiner's prior / refined panels)."""
    import numpy as np
    from lightning.pytorch.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from sam2_video.training.val_vis import log_images

    tb = TensorBoardLogger(str(tmp_path), name="tb", version=0)
    img = np.zeros((8, 12, 3), np.uint8)
    img[2:5, 3:9] = (255, 0, 0)
    log_images([tb], "val_vis/03", [("prior_refined", img)], step=7)
    tb.experiment.flush()
    acc = EventAccumulator(str(tmp_path / "tb" / "version_0"), size_guidance={"images": 0})
    acc.Reload()
    assert acc.Tags()["images"] == ["val_vis/03/00_prior_refined"]
    (event,) = acc.Images("val_vis/03/00_prior_refined")
    assert event.step == 7 and (event.width, event.height) == (12, 8)
