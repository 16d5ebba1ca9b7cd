"""A converted EndoVis tree trains through `train.py data=endovis17 data.root=...` (as a user runs it, in this
process: ``run_cli``)."""

from __future__ import annotations

import json



def test_converted_endovis17_trains_one_step(raw, script, tmp_path, run_cli):
    root = raw.endovis17(tmp_path / "raw", frames=4)
    out = tmp_path / "coco"
    assert script("convert_endovis_to_coco")(
        ["--input-dir", str(root), "--output-file", str(out / "endovis17.json"), "--split", "fold0"]) == 0
    assert sorted(p.name for p in out.glob("*.json")) == ["endovis17_train.json", "endovis17_val.json"]

    run_dir = tmp_path / "run"
    args = ["data=endovis17", f"data.root={out}", "sam2=debug", "model.image_size=128", "trainer=cpu",
            "logger=none", "data.num_workers=0", "data.clip_length=3", "trainer.max_epochs=1",
            "trainer.limit_train_batches=1", "trainer.limit_val_batches=1", f"paths.root_dir={tmp_path}",
            f"output_dir={run_dir}"]
    proc = run_cli("train.py", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["global_step"] == 1
    assert 0.0 <= metrics["final"]["val/jf"] <= 1.0
    # the full-video evaluation ran on the converted validation videos (fold0: datasets 1 and 3)
    per_video = (run_dir / "eval" / "metrics_per_video.csv").read_text()
    assert "instrument_dataset_1" in per_video and "instrument_dataset_3" in per_video
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    summary = json.loads((run_dir / "eval" / "summary.json").read_text())
    assert summary["run"]["checkpoint"] == metrics["best_checkpoint"]  # the report names the evaluated weights
