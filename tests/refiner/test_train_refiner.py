"""train_refiner end to end on the synthetic data with the real debug SAM2 making the priors."""

from __future__ import annotations

import json

import pytest
import torch

from sam2_video.refiner.train import train_refiner


def _cfg(make_cfg, tmp_path, *extra):
    return make_cfg("experiment=refiner_demo", f"refiner.work_dir={tmp_path / 'w'}", "data.synthetic=null",
                    "refiner.resolution=[96,128]", "refiner.datamodule.batch_size=4", "refiner.metrics.vis_count=2",
                    "refiner.export.latency_runs=2", "trainer.max_time=null", *extra)


def test_train_validate_export(make_cfg, tmp_path):
    cfg = _cfg(make_cfg, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=2", "refiner.loss.temporal=0.1")
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


def test_temporal_pairs_are_adjacent_frames_with_the_same_augmentation(make_cfg, tmp_path):
    from sam2_video.config import build
    from sam2_video.refiner.dataset import TripletDataset, adjacent_frames
    from sam2_video.refiner.index import read_index
    from sam2_video.refiner.losses import temporal_consistency
    from sam2_video.refiner.make_data import make_data

    cfg = _cfg(make_cfg, tmp_path)
    make_data(cfg)
    records, meta = read_index(tmp_path / "w")
    train = [r for r in records if r.split == "train"][::-1]  # order must not matter
    nxt = adjacent_frames(train)
    for i, j in enumerate(nxt):
        assert train[j].video_id == train[i].video_id and abs(train[j].frame_id - train[i].frame_id) == 1
    ds = TripletDataset(train, meta, tmp_path / "w", (96, 128), -20.0, build(cfg.refiner.augment), temporal_pairs=True)
    item = ds[0]
    assert int(item["next_index"]) == nxt[0]
    seed = next(s for s in range(100) if (ds.item(0, s)["target"] == 255).any())  # a draw that warps the frame
    a, b = ds.item(0, seed), ds.item(nxt[0], seed)
    assert torch.equal(a["target"] == 255, b["target"] == 255)  # one geometry (same warp border) for both frames
    assert not torch.equal(ds.item(0, seed + 1)["target"] == 255, a["target"] == 255)
    assert torch.equal(ds.item(0, seed)["image"], a["image"])
    logits = torch.randn(2, 4, 8, 8)
    valid = torch.ones(2, 8, 8, dtype=torch.bool)
    assert temporal_consistency(logits, logits, valid) == 0 and temporal_consistency(logits, -logits, valid) > 0.1


@pytest.mark.slow
def test_refined_beats_untrained_sam2_prior(make_cfg, tmp_path):
    cfg = _cfg(make_cfg, tmp_path, "trainer.max_epochs=12")
    val = train_refiner(cfg)["val"]
    assert val["val/refined_dice"] > val["val/prior_dice"] and val["val/refined_bf"] > val["val/prior_bf"]
