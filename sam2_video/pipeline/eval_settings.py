"""The ``eval`` config node as a validated dataclass (ConfigError names the bad key and the fix).

Evaluation knobs only: the prompt comes from the run's :class:`sam2_video.prompt.PromptSpec` (config
group ``prompt``), the one validation during training reads too.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import numpy as np
import torch

from sam2_video.errors import ConfigError
from sam2_video.typed_node import node_values
from sam2_video.validation.group import check_group
from sam2_video.renamed_keys import check_node

_AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16, "none": None}


@dataclass
class EvalSettings:
    """Evaluation knobs; see configs/eval/default.yaml for their meaning."""

    split: str = "val"
    reprompt_every: int = 0
    threshold: float = 0.5
    non_overlap: bool = True
    skip_first_last: bool = True
    bound_th: float = 0.008
    geometry: str = "meta"
    device: str = "auto"
    autocast: str = "auto"
    memory_dtype: str = "bfloat16"
    encode_batch: int = 8
    encode_thread: bool | str = "auto"  # the next batch read + encoded on a worker thread (see encode_ahead)
    chain: str = "sam2"  # sam2: SAM2 alone (Meta's predictor) | deployed: the stream's chain (stream.*: cadence, stages)
    save_prompts: bool = True  # prompts/<video>.json: the prompts used, in the prompts-file format
    max_videos: Optional[int] = None
    save_masks: bool = True
    save_rle: bool = False
    save_video: bool = False
    video_fps: float = 10.0
    report: bool = True
    num_worst_frames: int = 6
    thresholds: Optional[Mapping[str, float]] = None
    auto_prompt: Optional[Mapping[str, Any]] = None  # prompt.kind=auto: every / on_collapse / min_area

    @classmethod
    def from_config(cls, node: Mapping[str, Any]) -> "EvalSettings":
        """Build from the ``eval`` node (unknown or removed keys are a ConfigError)."""
        check_node(node, "eval")
        values = node_values(cls, node, "eval")
        s = cls(**{k: (dict(v) if k in ("thresholds", "auto_prompt") and v is not None else v) for k, v in values.items()})
        s.validate()
        return s

    def validate(self) -> None:
        """Types and ranges: the schema (``sam2_video.validation``, the one place)."""
        check_group(dataclasses.asdict(self), "eval")

    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(self.device)
        except RuntimeError as exc:
            raise ConfigError(f"eval.device={self.device!r}: {exc}; use auto, cpu or cuda[:N]") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"eval.device={self.device!r} but CUDA is not available; use eval.device=cpu")
        return dev

    def autocast_dtype(self, device: torch.device) -> Optional[torch.dtype]:
        if self.autocast == "auto":
            return torch.bfloat16 if device.type == "cuda" else None
        return _AUTOCAST[self.autocast]

    def encode_ahead(self, device: torch.device) -> bool:
        """``encode_thread``; ``auto``: on CUDA, or on CPU when torch leaves a core free for the worker."""
        if self.encode_thread == "auto":
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)  # macOS
            return device.type == "cuda" or torch.get_num_threads() < cores
        return bool(self.encode_thread)

    def threshold_grid(self) -> list[float]:
        """The grid of ``thresholds`` {start, stop, step}, inclusive, rounded to 6 decimals."""
        g = self.thresholds or {"start": 0.05, "stop": 0.95, "step": 0.05}
        try:
            start, stop, step = float(g["start"]), float(g["stop"]), float(g["step"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"eval.thresholds={g!r}: expected {{start, stop, step}} numbers") from None
        if step <= 0 or not 0 < start <= stop < 1:
            raise ConfigError(f"eval.thresholds={g!r}: need 0 < start <= stop < 1 and step > 0")
        n = int(np.floor((stop - start) / step + 1e-9)) + 1
        return sorted({round(start + i * step, 6) for i in range(n)})
