"""``frames.csv``: the per-frame record of a stream (timing, QA flags, re-prompts, scores when scored).

One row per (frame, tracked object); a frame that failed to decode is one row with an empty
``object_id`` and its ``error``. Latency columns are milliseconds per stage of that frame (the
frame's cost, repeated on each of its object rows). Staged like every sink.
"""

from __future__ import annotations

from pathlib import Path

from sam2_video.pipeline.chain import STAGES, PipelineFrame
from sam2_video.pipeline.run import FrameResult, StagedSink, VideoContext
from sam2_video.pipeline.sinks.staged import CsvStream

FRAME_COLUMNS = ("video_id", "frame", "frame_name", "object_id", "area", "confidence", "object_score",
                 "low_conf", "big_change", "lost", "prompted", "autoprompted", "memory_written",
                 *(f"{s}_ms" for s in STAGES), "total_ms", "cpu_ms", "J", "F", "dice", "iou", "scored", "error")


class StreamFramesCsv(StagedSink):
    def __init__(self, target: Path) -> None:
        self.staged = CsvStream(target, FRAME_COLUMNS)

    @staticmethod
    def _base(video: VideoContext, f: PipelineFrame) -> dict:
        return {"video_id": video.video_id, "frame": f.index, "frame_name": f.name,
                **{f"{k}_ms": round(v, 3) for k, v in f.ms.items()}}

    def error(self, video: VideoContext, frame: PipelineFrame) -> None:
        self.staged.write({**self._base(video, frame), "error": frame.error})

    def frame(self, r: FrameResult) -> None:
        f, base = r.out, self._base(r.video, r.out)
        row_of = {tid: i for i, tid in enumerate(r.video.plan.track_ids)}
        for i, oid in enumerate(f.object_ids):
            q = f.qa[i]
            row = {**base, "object_id": oid, "area": int(f.masks[i].sum()), "confidence": q.confidence,
                   "object_score": float(f.object_scores[i]), "low_conf": int(q.low_conf),
                   "big_change": int(q.big_change), "lost": int(q.lost), "prompted": int(oid in f.prompted),
                   "autoprompted": int(oid in f.autoprompted), "memory_written": int(f.memory_written)}
            if r.scores is not None and oid in row_of:
                k = row_of[oid]
                row.update(J=r.scores.j[k, 0], F=r.scores.f[k, 0], dice=r.scores.dice[k, 0], iou=r.scores.iou[k, 0],
                           scored=int(r.scored[k]))
            self.staged.write(row)
