"""The pipeline from Python: ``load_run(run_dir).segment(video, prompts)`` yields frames and masks (the
README's example), through the chain every entry point runs: the masks of ``predict.py``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import torch
from omegaconf import DictConfig, OmegaConf

from sam2_video.config import compose
from sam2_video.errors import ConfigError
from sam2_video.pipeline.assemble import build_chain, build_model, chain_settings, settings_of
from sam2_video.pipeline.chain import PipelineFrame
from sam2_video.pipeline.planners.auto import AutoPrompts, AutoPromptSchedule, encoder_categories
from sam2_video.pipeline.planners.file import FilePrompts
from sam2_video.pipeline.prompts_file import read_prompts_file
from sam2_video.pipeline.source import IteratorSource, open_source


@dataclass
class Run:
    """A model ready to segment videos with the settings ``cfg`` (see :func:`load_run`)."""

    cfg: DictConfig
    model: torch.nn.Module
    chain: str = "sam2"

    def segment(self, video: str | Path | Iterable, prompts: Optional[str | Path] = None) -> Iterator[PipelineFrame]:
        """The frames of ``video`` with their masks (``PipelineFrame``: ``index``, ``name``, ``image``,
        ``object_ids``, ``masks`` (O, H, W) bool, ``logits``, ``qa`` ...), prompted from ``prompts``
        (the prompts-file format) or, with None, by the learned prompt encoder (every category)."""
        source = open_source(video, "video") if isinstance(video, (str, Path)) else IteratorSource(video, "frames")
        settings = settings_of(self.cfg)
        if prompts is not None:
            pf = read_prompts_file(prompts, "prompts")
            if any(source.size):
                pf.check_frame_size(*source.size, where=str(video))
            planner = FilePrompts(pf)
        else:
            ids = encoder_categories(self.model, "this model has no learned prompt encoder: pass prompts=<prompts file>")
            planner = AutoPrompts(ids, AutoPromptSchedule.from_config(settings.auto_prompt), source.num_frames or None)
        chain = build_chain(self.cfg, self.model, chain_settings(self.cfg, self.chain == "deployed"), settings)
        return chain.frames(source, planner, source.num_frames or None)


def load_run(run_dir: str | Path, checkpoint: str = "checkpoints/best.ckpt", overrides: Sequence[str] = (),
             chain: str = "sam2") -> Run:
    """The run in ``run_dir`` (written by train.py): its resolved ``config.yaml`` and ``checkpoint``;
    ``overrides``: Hydra-style changes (``eval.device=cpu`` ...)."""
    run = Path(run_dir)
    if not (run / "config.yaml").is_file() or not (run / checkpoint).is_file():
        raise ConfigError(f"{run}: not a train.py run (needs config.yaml and {checkpoint})")
    cfg = compose(str((run / "config.yaml").resolve()), [f"model.checkpoint_path={run / checkpoint}", *overrides])
    OmegaConf.set_struct(cfg, False)
    return Run(cfg, build_model(cfg, settings_of(cfg)), chain)
