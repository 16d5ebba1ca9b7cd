"""The ``predict`` config node as a validated dataclass (one ConfigError line naming the key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sam2_video.errors import ConfigError
from sam2_video.typed_node import node_values
from sam2_video.validation.group import check_group


@dataclass
class PredictSettings:
    input: Optional[str] = None  # a folder of frames or a video file
    prompts: Optional[str] = None  # a prompts file; None: prompt-free (the learned encoder)
    chain: str = "sam2"  # sam2 | deployed (the stream's chain, stream.*)
    save_rle: bool = True
    save_video: bool = True
    fps: float = 10.0

    @classmethod
    def from_config(cls, node: Mapping[str, Any]) -> "PredictSettings":
        s = cls(**node_values(cls, node, "predict"))
        if not s.input:
            raise ConfigError("predict.input is not set; pass predict.input=/path/to/frames_dir_or_video.mp4")
        check_group(dict(node), "predict")  # types and ranges: the schema, the one place
        return s
