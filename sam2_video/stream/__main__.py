"""``python -m sam2_video.stream [overrides]``: frame-by-frame streaming over the config tree.

    python -m sam2_video.stream sam2=debug output_dir=outputs/stream stream.memory_every=5 stream.ema_alpha=0.7
    python -m sam2_video.stream stream.source=video stream.path=clip.mp4 stream.seed=prompts stream.prompts_file=p.json
    python -m sam2_video.stream -m stream.memory_every=1,5 stream.ema_alpha=0,0.7   # sweep (Hydra multirun)

Bad input: one error line, exit status 2. See docs/streaming.md.
"""

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sam2_video.cli import hydra_main
from sam2_video.errors import ConfigError
from sam2_video.pipeline.settings import StreamSettings


def check(cfg: DictConfig) -> None:
    """Refuse bad settings and missing input files before Hydra creates the run folder."""
    s = StreamSettings.from_config(OmegaConf.to_container(cfg.stream, resolve=True))
    wanted = {"stream.path": s.path if s.source != "data" else None, "stream.prompts_file": s.prompts_file
              if s.seed == "prompts" else None, "stream.refiner_onnx": s.refiner_onnx,
              "stream.refiner_checkpoint": s.refiner_checkpoint, "stream.difficult_frames": s.difficult_frames,
              "stream.compare_to": s.compare_to}
    for key, value in wanted.items():
        if value and not Path(value).exists():
            raise ConfigError(f"{key}={value}: no such file or folder")


def main(cfg: DictConfig) -> None:
    from sam2_video.stream.run import run_stream

    run_stream(cfg)


if __name__ == "__main__":
    hydra_main(check=check, description=__doc__)(main)()
