"""``python -m sam2_video.stream [overrides]``: frame-by-frame streaming over the config tree.

    python -m sam2_video.stream sam2=debug output_dir=outputs/stream stream.memory_every=5 stream.ema_alpha=0.7
    python -m sam2_video.stream stream.source=video stream.path=clip.mp4 stream.seed=prompts stream.prompts_file=p.json
    python -m sam2_video.stream -m stream.memory_every=1,5 stream.ema_alpha=0,0.7   # sweep (Hydra multirun)

Bad input: one error line, exit status 2. See docs/streaming.md.
"""

from omegaconf import DictConfig, OmegaConf

from sam2_video.cli import hydra_main
from sam2_video.stream.settings import StreamSettings


def check(cfg: DictConfig) -> None:
    StreamSettings.from_config(OmegaConf.to_container(cfg.stream, resolve=True))


def main(cfg: DictConfig) -> None:
    from sam2_video.stream.run import run_stream

    run_stream(cfg)


if __name__ == "__main__":
    hydra_main(check=check, description=__doc__)(main)()
