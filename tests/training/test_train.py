"""train(cfg) end to end on synthetic data with the debug model: outputs, freezing, resume, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sam2_video.model.meta import build_meta_video_predictor
from sam2_video.training.train import train

FAST = ["trainer.max_epochs=1", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "evaluate_after_training=false",
        "data.clip_length=4", "data.augment=null"]


def test_train_writes_outputs_and_official_export_loads_in_meta(make_cfg):
    cfg = make_cfg(*FAST)
    result = train(cfg)
    out = Path(cfg.output_dir)
    assert (out / "config.yaml").is_file() and (out / "checkpoints" / "last.ckpt").is_file()
    assert result["global_step"] == 2 and Path(result["best_checkpoint"]).is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["final"]) >= {"val/jf", "val/j", "val/f", "val/dice", "val/iou"}
    official = torch.load(out / "checkpoints" / "model_official.pt", weights_only=True)
    assert set(official) == {"model"}
    meta = build_meta_video_predictor(cfg.model, out / "checkpoints" / "model_official.pt")
    for k, v in meta.state_dict().items():
        assert torch.equal(v, official["model"][k]), k


def test_only_chosen_modules_change(make_cfg, tmp_path):
    from sam2_video.model.builder import build_sam2_model
    from sam2_video.model.checkpoint import save_official

    start = save_official(build_sam2_model(make_cfg().model), tmp_path / "start.pt")
    before = torch.load(start, weights_only=True)["model"]
    cfg = make_cfg(*FAST, "model.trainable_modules=[memory_attention,sam_mask_decoder]", "trainer.limit_train_batches=1",
                   "optim.lr=1e-2", "export_official=false", f"model.checkpoint_path={start}")
    train(cfg)
    after = torch.load(Path(cfg.output_dir) / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    changed = {k.split(".")[1] for k, v in after.items() if k.startswith("model.") and not torch.equal(v, before[k[6:]])}
    assert changed == {"memory_attention", "sam_mask_decoder"}


def _weights(ckpt: Path) -> dict[str, torch.Tensor]:
    sd = torch.load(ckpt, weights_only=True)["state_dict"]
    return {k: v for k, v in sd.items() if k.startswith("model.")}


def test_resume_continues_and_matches_uninterrupted_run(make_cfg, tmp_path):
    common = ["deterministic=true", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1",
              "evaluate_after_training=false", "export_official=false", "data.clip_length=4"]
    full = make_cfg(*common, "trainer.max_epochs=2", f"output_dir={tmp_path / 'full'}")
    train(full)
    part = make_cfg(*common, "trainer.max_epochs=1", f"output_dir={tmp_path / 'part'}")
    train(part)
    first = torch.load(tmp_path / "part" / "checkpoints" / "last.ckpt", weights_only=True)
    assert first["global_step"] == 2
    resumed = make_cfg(*common, "trainer.max_epochs=2", f"output_dir={tmp_path / 'part'}", "ckpt_path=auto")
    result = train(resumed)
    assert result["global_step"] == 4
    a, b = _weights(tmp_path / "full" / "checkpoints" / "last.ckpt"), _weights(tmp_path / "part" / "checkpoints" / "last.ckpt")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)


def test_nan_loss_stops_with_step_and_clip(make_cfg, monkeypatch):
    from sam2_video.errors import TrainingDivergedError
    from sam2_video.training import losses

    real = losses.SAM2VideoLoss.forward

    def nan_forward(self, outs, targets):
        out = real(self, outs, targets)
        out["core_loss"] = out["core_loss"] * float("nan")
        return out

    monkeypatch.setattr(losses.SAM2VideoLoss, "forward", nan_forward)
    with pytest.raises(TrainingDivergedError, match=r"global step 0 on clip\(s\) synth_\d+@\d+"):
        train(make_cfg(*FAST))


def test_clip_whose_loss_reaches_no_trainable_module_is_skipped_not_a_crash(make_cfg):
    """2-frame clips with up to 2 initial conditioning frames: some clips have no frame that reads
    memory, so with only the memory modules trained their loss has no gradient. Those optimizer steps
    are skipped (a warning names the clip); the others train."""
    cfg = make_cfg("trainer.max_epochs=1", "trainer.limit_train_batches=8", "trainer.limit_val_batches=1",
                   "evaluate_after_training=false", "data.clip_length=2", "data.augment=null",
                   "model.trainable_modules=[memory_attention,memory_encoder]",
                   "prompt.train.num_init_cond_frames=2", "prompt.train.mix={point: 0.0, box: 0.0, mask: 1.0}")
    with pytest.warns(UserWarning) as record:
        result = train(cfg)
    skipped = [w for w in record if "no trainable module is on this clip's loss path" in str(w.message)]
    assert 0 < len(skipped) < 8  # some clips skipped, the others trained
    assert result["global_step"] == 8  # the run finished its 8 batches (Lightning counts skipped steps too)
