"""Train SAM2's video model: ``python train.py data=endovis18 model.checkpoint_path=...``."""

from sam2_video.cli import hydra_main
from sam2_video.training.train import train

if __name__ == "__main__":
    hydra_main()(train)()
