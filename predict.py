"""Segment unlabeled videos with a trained model: prompt-free (AutoSAM2) by default, or from a prompts JSON.

    python predict.py experiment=autosam2_demo model.checkpoint_path=<run>/checkpoints/model_official.pt \
        predict.input=/videos/case01.mp4 output_dir=outputs/predict_case01
    python predict.py model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt predict.input=/frames/case01 \
        predict.prompts=prompts.json output_dir=outputs/predict_case01

predict.input: a folder of frames (natural order) or a video file (decoded lazily). Writes masks/<video>/<frame>.png
(DAVIS PNGs), results_coco.json (COCO RLE), videos/<video>.mp4 (overlay) and summary.json; see
docs/autosam2.md. Bad input is one error line, exit status 2, and nothing is written.
"""

from omegaconf import DictConfig

from sam2_video.cli import hydra_main, setup_console
from sam2_video.predict.run import predict


def check(cfg: DictConfig) -> None:
    """Every key predict.py reads, validated once before anything is written."""
    from omegaconf import OmegaConf

    from sam2_video.pipeline.assemble import chain_settings, settings_of
    from sam2_video.predict.settings import PredictSettings

    node = PredictSettings.from_config(OmegaConf.to_container(cfg.predict, resolve=True))
    settings_of(cfg)
    chain_settings(cfg, node.chain == "deployed")


def main(cfg: DictConfig) -> None:
    setup_console(cfg.get("log_level", "INFO"))
    s = predict(cfg)
    print(f"{s['frames']} frames, objects {s['object_ids']} ({s['mode']}) -> {cfg.output_dir}")


if __name__ == "__main__":
    hydra_main(config_name="predict", check=check, description=__doc__)(main)()
