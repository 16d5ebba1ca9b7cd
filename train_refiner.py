"""Train the tiny refiner over offline SAM2 priors (docs/refiner.md).

    python train_refiner.py experiment=refiner_demo            # synthetic data, a few CPU minutes

Runs the data steps (index, prompts, SAM2 priors; resumable), trains, validates prior vs refined,
exports ONNX and checks it. Every config value is checked first (refiner.* included, e.g. that
refiner.folder.video_regex compiles): a bad one is one error line, exit status 2, nothing written.
"""

from sam2_video.cli import hydra_main
from sam2_video.validation import validate_refiner


def main(cfg) -> None:
    from sam2_video.refiner.train import train_refiner  # imported after the checks: a refusal stays fast

    train_refiner(cfg)


if __name__ == "__main__":
    hydra_main(check=validate_refiner, description=__doc__)(main)()
