"""Fine-tune SAM2's video model on clips of your videos (Hydra config tree in configs/).

    python train.py data=endovis18 data.root=/data/endovis18 model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt
    python train.py experiment=demo          # tiny debug SAM2 on generated data, a few CPU minutes

Writes <output_dir>/: config.yaml, checkpoints/{best,last}.ckpt, model_official.pt, metrics.json,
train.log, TensorBoard + CSV logs. Every config value is checked first: a bad one is one error line,
exit status 2, and nothing is written. Groups and their options are listed below; `--cfg job
--resolve` prints the resolved tree.
"""

from sam2_video.cli import hydra_main
from sam2_video.validation import validate_train


def _check(cfg) -> None:
    validate_train(cfg, warn=False)  # the memory warning is logged once, by train()


def main(cfg) -> None:
    from sam2_video.training.train import train  # imported after the checks: a refusal stays fast

    train(cfg)


if __name__ == "__main__":
    hydra_main(check=_check, description=__doc__)(main)()
