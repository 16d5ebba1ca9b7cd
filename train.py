"""Train SAM2's video model: ``python train.py data=endovis18 model.checkpoint_path=...``."""

import hydra
from omegaconf import DictConfig

from sam2_video.cli import exit_on_user_error
from sam2_video.training.train import train


@hydra.main(config_path="configs", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Hydra entry point; all logic lives in ``sam2_video.training.train.train``."""
    with exit_on_user_error():
        train(cfg)


if __name__ == "__main__":
    main()
