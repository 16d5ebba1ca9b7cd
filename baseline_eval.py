"""Evaluate a SAM2 model (official checkpoint = zero-shot baseline, or fine-tuned) on full videos.

    python baseline_eval.py data.val_path=/data/val.json model.checkpoint_path=/ckpt/sam2.pt output_dir=outputs/eval_run
    python baseline_eval.py --config-name combo/endovis18/1 eval.threshold=0.35

Runs SAM2 over every video of the evaluated split (eval.split) from one prompt per object and
writes metrics (J&F, Dice, IoU per frame / object / video / category), mask PNGs and a report to
output_dir. A Lightning .ckpt from train.py is evaluated with the model settings stored in it.
Same config tree as train.py; see docs/eval.md. Every config value is checked first: a bad one is
one error line, exit status 2, and nothing is written.
"""

from omegaconf import DictConfig

from sam2_video.cli import hydra_main, setup_console
from sam2_video.validation import validate_eval


def main(cfg: DictConfig) -> None:
    from sam2_video.eval.evaluate import evaluate  # imported after the checks: a refusal stays fast
    from sam2_video.model.stored_config import adopt_stored_settings

    from sam2_video.atomic import remove_stale_temps

    setup_console(cfg.get("log_level", "INFO"))
    validate_eval(cfg)
    adopt_stored_settings(cfg)
    remove_stale_temps(cfg.output_dir)  # temporary files a killed earlier run left
    summary = evaluate(cfg)
    o = summary["overall"]
    print(f"J&F {o['JF']:.4f}  J {o['J']:.4f}  F {o['F']:.4f}  Dice {o['dice']:.4f}  "
          f"challenge IoU {o['challenge_iou']:.4f}  ({o['num_objects']} objects) -> {cfg.output_dir}")


if __name__ == "__main__":
    hydra_main(check=validate_eval, description=__doc__)(main)()
