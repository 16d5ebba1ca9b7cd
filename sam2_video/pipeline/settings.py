"""The ``stream`` config node as a validated dataclass (ConfigError: one line naming the key and the fix).

See configs/stream/default.yaml for the meaning of every key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sam2_video.errors import ConfigError
from sam2_video.typed_node import node_values
from sam2_video.validation.group import check_group


@dataclass
class StreamSettings:
    source: str = "data"  # data (the eval split of cfg.data, scored) | folder | video
    path: Optional[str] = None  # folder of frames or a video file (source folder / video)
    seed: str = "gt"  # t = 0 (first appearance): gt | prompts (prompts_file) | auto (prompt-free)
    prompts_file: Optional[str] = None
    memory_every: int = 1  # K: SAM2 memory written every K frames
    memory_source: str = "raw"  # raw: SAM2's own mask | refined: the final mask (refiner / EMA / post)
    max_memory: Optional[int] = None  # cap on stored non-conditioning entries (null: what SAM2 reads)
    max_cond_memory: Optional[int] = 4  # cap on stored conditioning entries (re-prompting adds them)
    compact_memory: bool = False  # with K > 1 the reader sees the last writes as consecutive frames
    autoprompt_every: int = 0  # N > 0: re-prompt SAM2 from the previous final mask every N frames (0: off)
    autoprompt_hold: int = 30  # frames the last good mask keeps prompting after the object vanished
    autoprompt_mode: str = "confirm"  # confirm: only where tracking lost it, answer kept if it is the object | always
    autoprompt_max_growth: float = 2.0  # a mask is the object only with an area within 1/g .. g of the last good
    autoprompt_min_similarity: Optional[float] = None  # and (if set) an appearance similarity >= this
    ema_alpha: float = 0.0  # temporal EMA on logits: s_t = a * s_{t-1} + (1 - a) * x_t (0: off)
    fill_holes: int = 0  # fill holes up to this many pixels (0: off)
    open_radius: int = 0  # morphological opening with a disk of this radius (0: off)
    threshold: float = 0.5  # probability threshold
    non_overlap: bool = True  # one object per pixel (highest logit), like the evaluation
    low_confidence: float = 0.75  # QA flag when confidence < this
    max_change: float = 0.5  # QA flag when IoU with the previous frame's mask < 1 - max_change
    split: str = "val"  # source data: which split
    max_videos: Optional[int] = None
    max_frames: Optional[int] = None  # stop each stream after this many frames
    expected_frames: Optional[int] = None  # folder / video: warn when the stream ends before this many
    difficult_frames: Optional[str] = None  # CSV video_id,frame: score only these pairs (QA regression set)
    compare_to: Optional[str] = None  # an earlier difficult_frames.json to compare with
    regression_tol: float = 0.02  # a pair regresses when its J&F drops by more than this
    save_masks: bool = True
    save_video: bool = False
    video_fps: float = 10.0
    progress: bool = True
    device: str = "auto"
    memory_dtype: str = "bfloat16"
    refiner_onnx: Optional[str] = None  # an exported refiner .onnx (sam2_video.refiner.export)
    refiner_checkpoint: Optional[str] = None  # or a TinyRefiner state_dict .pt (needs cfg.refiner)

    @classmethod
    def from_config(cls, node: Mapping[str, Any]) -> "StreamSettings":
        s = cls(**node_values(cls, node, "stream"))
        s.validate()
        return s

    def validate(self) -> None:
        """Types and ranges: the schema (``sam2_video.validation``, the one place); here the rules between keys."""
        check_group(dataclasses.asdict(self), "stream")

        def bad(key: str, why: str) -> ConfigError:
            return ConfigError(f"stream.{key}={getattr(self, key)!r}: {why}")

        if self.seed == "prompts" and not self.prompts_file:
            raise bad("prompts_file", "seed=prompts needs stream.prompts_file=<prompts.json>")
        if self.source != "data" and not self.path:
            raise bad("path", f"source={self.source} needs stream.path=<folder or video file>")
        if self.source != "data" and self.seed == "gt":
            raise bad("seed", "a folder / video has no ground truth; use stream.seed=prompts or auto")
        if self.refiner_onnx and self.refiner_checkpoint:
            raise bad("refiner_onnx", "give either refiner_onnx or refiner_checkpoint, not both")
        if self.compare_to and not self.difficult_frames:
            raise bad("compare_to", "needs stream.difficult_frames=<pairs.csv> (the pairs to compare)")

