"""train_refiner end to end on the synthetic data with the real debug SAM2 making the priors."""

from __future__ import annotations

import json

import pytest

from sam2_video.refiner.train import train_refiner


def _cfg(make_cfg, tmp_path, *extra):
    return make_cfg("experiment=refiner_demo", f"refiner.work_dir={tmp_path / 'w'}", "data.synthetic=null",
                    "refiner.resolution=[96,128]", "refiner.datamodule.batch_size=4", "refiner.metrics.vis_count=2",
                    "refiner.export.latency_runs=2", "trainer.max_time=null", *extra)


def test_train_validate_export(make_cfg, tmp_path):
    cfg = _cfg(make_cfg, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=2")
    result = train_refiner(cfg)
    out = tmp_path / "run"
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["parameters"] == result["parameters"] < 2_000_000
    for kind in ("prior", "refined"):
        for m in ("dice", "iou", "bf"):
            assert 0.0 <= saved["val"][f"val/{kind}_{m}"] <= 1.0
    ex = saved["export"]
    assert ex["opset"] == 17 and ex["parity_ok"] and ex["parity"]["max_abs_diff"] <= 1e-4
    assert ex["parity"]["frames"] == saved["data"]["splits"]["val"]
    assert (out / "refiner.onnx").is_file() and (out / "checkpoints" / "best.ckpt").is_file()
    assert len(list((out / "val_vis" / "final").glob("*.png"))) == 2  # vis_count overlays of the best weights


@pytest.mark.slow
def test_refined_beats_untrained_sam2_prior(make_cfg, tmp_path):
    cfg = _cfg(make_cfg, tmp_path, "trainer.max_epochs=12")
    val = train_refiner(cfg)["val"]
    assert val["val/refined_dice"] > val["val/prior_dice"] and val["val/refined_bf"] > val["val/prior_bf"]
