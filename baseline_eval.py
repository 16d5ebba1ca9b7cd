"""Evaluate a SAM2 model (official checkpoint = zero-shot baseline, or fine-tuned) on full videos.

    python baseline_eval.py data.val_path=/data/val.json model.checkpoint_path=/ckpt/sam2.pt output_dir=outputs/eval_run
    python baseline_eval.py --config-name combo/endovis18/1 eval.threshold=0.35

Same config tree as train.py (``@hydra.main(config_path="configs", config_name="config")``);
see docs/eval.md for the prompts, metrics and outputs. Bad input: one error line, exit status 2.
"""

from omegaconf import DictConfig

from sam2_video.cli import hydra_main
from sam2_video.eval.evaluate import evaluate


def main(cfg: DictConfig) -> None:
    summary = evaluate(cfg)
    o = summary["overall"]
    print(f"J&F {o['JF']:.4f}  J {o['J']:.4f}  F {o['F']:.4f}  Dice {o['dice']:.4f}  "
          f"challenge IoU {o['challenge_iou']:.4f}  ({o['num_objects']} objects) -> {cfg.output_dir}")


if __name__ == "__main__":
    hydra_main()(main)()
