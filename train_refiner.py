"""Train the tiny refiner over offline SAM2 priors: ``python train_refiner.py experiment=refiner_demo``."""

from sam2_video.refiner.train import main

if __name__ == "__main__":
    main()
