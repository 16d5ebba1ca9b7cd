"""``prompts/<video>.json``: the planner's prompts a run applied, in the one prompts-file format
(``sam2_video.pipeline.prompts_file``), so an evaluation can be replayed through predict.py or the
stream with exactly its prompts. Staged like every sink (one folder, committed with the run)."""

from __future__ import annotations

from pathlib import Path

from sam2_video.pipeline.prompts_file import write_prompts_file
from sam2_video.pipeline.run import FrameResult, StagedSink, VideoContext
from sam2_video.pipeline.sinks.staged import _Staged
from sam2_video.prompt import FramePrompt
from sam2_video.safe_paths import confined


class PromptsFiles(StagedSink):
    def __init__(self, target: Path) -> None:
        self.staged = _Staged(target)
        self._frames: dict[int, dict[int, FramePrompt]] = {}
        self._size = (0, 0)

    def start_video(self, video: VideoContext) -> None:
        self._frames, self._size = {}, (video.plan.height, video.plan.width)

    def frame(self, r: FrameResult) -> None:
        self._size = r.out.image.shape[:2]  # the frames' size (a camera says it with its first frame)
        if r.out.given:
            self._frames[r.frame] = dict(r.out.given)

    def end_video(self, video: VideoContext) -> None:
        plan = video.plan
        self.staged.tmp.mkdir(parents=True, exist_ok=True)
        write_prompts_file(confined(self.staged.tmp, f"{video.video_id}.json", key="video_id"), self._frames,
                           self._size, dict(zip(plan.track_ids, (int(c) for c in plan.category_ids))),
                           video=video.video_id)

    def commit(self) -> None:
        if self.staged.tmp.exists():
            self.staged.commit()
