"""Video jobs of the pipeline: the videos of a dataset index (planned by a planner, scored against
their GT) and an unlabeled source (a folder, a video file, a camera) prompted from a prompts file or
the learned encoder. Every entry point builds its jobs here."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np

from sam2_video.data.index import VideoIndex, VideoRecord
from sam2_video.errors import ConfigError
from sam2_video.pipeline.chain import Prompts
from sam2_video.pipeline.planners.gt import Planner, VideoPlan
from sam2_video.pipeline.run import VideoJob
from sam2_video.pipeline.source import FrameSource, RecordSource


def select_videos(index: VideoIndex, max_videos: Optional[int], split: str = "") -> list[VideoRecord]:
    """The run's videos (the first ``max_videos``); ConfigError if there are none."""
    videos = index.videos[:max_videos] if max_videos else index.videos
    if not videos:
        raise ConfigError(f"{index.source}: split '{split}' has no videos to run")
    return list(videos)


def index_jobs(videos: Sequence[VideoRecord], planner: Planner, scored: bool = True,
               strict: bool = True) -> Iterator[VideoJob]:
    """One job per dataset video (planned lazily, when the run reaches it); ``strict``: a frame that
    cannot be decoded ends the run (evaluation) instead of being skipped (the stream)."""
    for record in videos:
        plan = planner.plan(record)
        gt = planner.gt(record, plan)
        yield VideoJob(record.video_id, RecordSource(record), plan, planner.prompts(record, plan, gt),
                       gt if scored else None, image_id=lambda t, r=record: r.frames[t].image_id, strict=strict)


def source_job(source: FrameSource, prompts: Prompts, object_ids: Sequence[int], categories: dict[int, int],
               first_frames: dict[int, int]) -> VideoJob:
    """The job of one unlabeled source: objects ``object_ids`` (categories, first prompt frames)."""
    ids = [int(o) for o in object_ids]
    height, width = source.size
    plan = VideoPlan(source.name, ids, np.array([int(categories.get(o, o)) for o in ids], dtype=np.int64),
                     {o: int(first_frames.get(o, 0)) for o in ids}, {o: [int(first_frames.get(o, 0))] for o in ids},
                     int(source.num_frames or 0), int(height), int(width))
    return VideoJob(source.name, source, plan, prompts, None, image_id=lambda t: f"{source.name}/{t}")
