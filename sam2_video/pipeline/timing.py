"""Latency bookkeeping of a stream run: per-stage milliseconds, skipped frames, early ends.

ms/frame is end to end per tracked frame (decode + SAM2 + refiner + post-processing + memory write;
outputs excluded), wall clock; ``cpu_ms_per_frame`` is the process CPU time of the same stages
without decoding (with 1 thread: the compute, less disturbed by other processes on a shared CPU); the first tracked frame of each stream (warm-up, the seed) is left out of the
means and reported apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from loguru import logger

from sam2_video.pipeline.chain import STAGES, PipelineFrame
from sam2_video.pipeline.run import FrameResult, Sink, VideoContext


@dataclass
class Timing(Sink):
    """Also a sink: ``run_videos(..., sinks=[timing])`` records every frame of every video."""

    stage_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in (*STAGES, "total", "cpu")})
    first_ms: list[float] = field(default_factory=list)
    frames: dict[str, int] = field(default_factory=dict)  # stream -> frames seen (decoded or not)
    skipped: list[dict] = field(default_factory=list)
    ended_early: list[dict] = field(default_factory=list)
    flagged: dict[str, int] = field(default_factory=lambda: {"low_conf": 0, "big_change": 0, "lost": 0})
    tracking: set[str] = field(default_factory=set)  # streams past their first tracked frame

    def frame(self, result: FrameResult) -> None:
        self.add(result.video.video_id, result.out)

    def error(self, video: VideoContext, frame: PipelineFrame) -> None:
        self.add(video.video_id, frame)

    def add(self, stream: str, frame: PipelineFrame) -> None:
        self.frames[stream] = self.frames.get(stream, 0) + 1
        if frame.error is not None:
            logger.warning(f"{stream}: frame {frame.index} ({frame.name}) could not be decoded and was skipped: "
                           f"{frame.error}")
            self.skipped.append({"stream": stream, "frame": frame.index, "error": frame.error})
            return
        if "sam2" not in frame.ms:  # before the seed: nothing tracked
            return
        for q in frame.qa:
            for k in self.flagged:
                self.flagged[k] += int(getattr(q, k))
        if stream not in self.tracking:
            self.tracking.add(stream)
            self.first_ms.append(frame.ms["total"])
            return
        for k in self.stage_ms:
            self.stage_ms[k].append(frame.ms.get(k, 0.0))

    def check_length(self, stream: str, expected: Optional[int]) -> None:
        seen = self.frames.get(stream, 0)
        if expected is not None and seen < expected:
            logger.error(f"{stream}: the stream ended after {seen} of {expected} frames; results cover those {seen}")
            self.ended_early.append({"stream": stream, "frames": seen, "expected": expected})

    def mean(self, stage: str) -> float:
        v = self.stage_ms[stage]
        return float(np.mean(v)) if v else float("nan")

    def overall(self) -> dict:
        ms = self.mean("total")
        return {"ms_per_frame": ms, "fps": 1000.0 / ms if ms == ms and ms > 0 else float("nan"),
                "cpu_ms_per_frame": self.mean("cpu"),
                "num_frames": sum(self.frames.values()), "num_skipped": len(self.skipped)}

    def summary(self) -> dict:
        v = self.stage_ms["total"]
        return {"ms_per_frame": self.mean("total"), "median_ms": float(np.median(v)) if v else float("nan"),
                "p95_ms": float(np.percentile(v, 95)) if v else float("nan"),
                "stage_ms": {k: self.mean(k) for k in STAGES}, "first_frame_ms": self.first_ms,
                "timed_frames": len(v), "frames": dict(self.frames), "skipped": self.skipped,
                "ended_early": self.ended_early, "flags": dict(self.flagged)}

    def line(self) -> str:
        o = self.overall()
        return (f"{o['num_frames']} frames, {o['ms_per_frame']:.1f} ms/frame ({o['fps']:.1f} frames/s), "
                f"{o['num_skipped']} skipped, flags {self.flagged}")
