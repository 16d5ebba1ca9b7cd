"""Evaluate a SAM2 model (official checkpoint = zero-shot baseline, or fine-tuned) on full videos.

    python baseline_eval.py data.val_path=/data/val.json model.checkpoint_path=/ckpt/sam2.pt output_dir=outputs/eval_run
    python baseline_eval.py --config-name combo/endovis18/1 eval.threshold=0.35

See docs/eval.md for the prompts, metrics and outputs.
"""

import sys

import hydra
from loguru import logger
from omegaconf import DictConfig

from sam2_video.errors import UserError
from sam2_video.eval.evaluate import evaluate


@hydra.main(config_path="configs", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        summary = evaluate(cfg)
    except UserError as exc:
        logger.error(str(exc))
        sys.exit(2)
    o = summary["overall"]
    print(f"J&F {o['JF']:.4f}  J {o['J']:.4f}  F {o['F']:.4f}  Dice {o['dice']:.4f}  "
          f"challenge IoU {o['challenge_iou']:.4f}  ({o['num_objects']} objects)")


if __name__ == "__main__":
    main()
