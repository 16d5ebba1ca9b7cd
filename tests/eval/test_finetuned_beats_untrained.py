"""A checkpoint fine-tuned by train(cfg) evaluates better than the untrained model it started from."""

from __future__ import annotations

from pathlib import Path

from sam2_video.eval.evaluate import evaluate
from sam2_video.training.train import train


def test_finetuned_checkpoint_beats_untrained(make_cfg, synthetic_root, tmp_path):
    val = Path(synthetic_root) / "val.json"
    # fit the validation video itself: the point is the train -> checkpoint -> eval chain, not generalisation
    data = ["experiment=demo", f"data.train_path={val}", f"data.val_path={val}", "data.clip_length=4",
            "data.clip_stride=1", "data.augment=null"]
    result = train(make_cfg(*data, "trainer.max_steps=60",
                            "trainer.max_epochs=100", "trainer.max_time=null", "trainer.check_val_every_n_epoch=100",
                            "validate_before_training=false", "evaluate_after_training=false",
                            f"output_dir={tmp_path / 'train'}", "logger=none"))
    assert result["global_step"] == 60
    scores = {}
    for name, ckpt in (("untrained", "null"), ("fine-tuned", result["official_weights"])):
        summary = evaluate(make_cfg(*data, f"model.checkpoint_path={ckpt}", "eval.report=false",
                                    "eval.save_masks=false", f"output_dir={tmp_path / name}"))
        scores[name] = summary["overall"]["JF"]
    assert scores["fine-tuned"] > scores["untrained"] + 0.1, scores
