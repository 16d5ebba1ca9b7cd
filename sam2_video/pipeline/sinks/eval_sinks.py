"""Sinks of the pipeline (:class:`~sam2_video.pipeline.run.Sink`), shared by evaluation, predict.py and the stream.

Each writes one kind of file, staged until the run succeeds (``sam2_video.pipeline.sinks.staged``):

- :class:`FrameCsv`: ``metrics_per_frame.csv`` (one row per object and frame, first threshold);
- :class:`MaskPngs`: ``masks/<video>/<frame>.png`` DAVIS-layout label maps (+ ``objects.json``);
- :class:`CocoRle`: ``results_coco.json`` COCO results (one RLE per object and frame);
- :class:`OverlayVideos`: ``videos/<video>.mp4`` (``sam2_video.video.writer``);
- :class:`WorstFrames`: the N frames with the lowest mean J&F (kept in memory, for the report);
- :class:`LogitCache`: the low-res logits of every frame on disk (``sam2_video.pipeline.sinks.logit_store``).
"""

from __future__ import annotations

import heapq
import itertools
from pathlib import Path
from typing import Optional

import numpy as np

from sam2_video.pipeline.sinks.logit_store import LogitStore
from sam2_video.pipeline.sinks.prompts_sink import PromptsFiles
from sam2_video.pipeline.run import FrameResult, Sink, StagedSink, VideoContext
from sam2_video.pipeline.sinks.staged import CocoResultsStream, CsvStream, MaskDir, VideoDir

FRAME_COLUMNS = ("video_id", "frame", "frame_name", "object_id", "category_id", "category", "gt_area",
                 "pred_area", "J", "F", "dice", "iou", "scored", "prompted")


class FrameCsv(StagedSink):
    def __init__(self, target: Path) -> None:
        self.staged = CsvStream(target, FRAME_COLUMNS)

    def frame(self, r: FrameResult) -> None:
        fs, plan, cats = r.scores, r.video.plan, r.video.categories
        if fs is None:  # a frame outside the scored set
            return
        for i, tid in enumerate(plan.track_ids):
            cid = int(plan.category_ids[i])
            self.staged.write({
                "video_id": r.video.video_id, "frame": r.frame, "frame_name": r.frame_name, "object_id": tid,
                "category_id": cid, "category": cats.get(cid, str(cid)), "gt_area": int(fs.gt_area[i]),
                "pred_area": int(fs.pred_area[i, 0]), "J": fs.j[i, 0], "F": fs.f[i, 0], "dice": fs.dice[i, 0],
                "iou": fs.iou[i, 0], "scored": int(r.scored[i]), "prompted": int(tid in r.prompted)})


class MaskPngs(StagedSink):
    def __init__(self, target: Path) -> None:
        self.staged = MaskDir(target)

    def start_video(self, video: VideoContext) -> None:
        mapping = dict(zip(video.label_values, video.plan.track_ids))
        self.staged.write_json(video.video_id, "objects.json", {"png_value_to_track_id": mapping})

    def frame(self, r: FrameResult) -> None:
        self.staged.write(r.video.video_id, r.frame_name, r.labels)


class CocoRle(StagedSink):
    def __init__(self, target: Path) -> None:
        self.staged = CocoResultsStream(target)

    def frame(self, r: FrameResult) -> None:
        plan, pred = r.video.plan, r.masks(0)
        image_id = r.video.job.image_id(r.frame)
        for i, tid in enumerate(plan.track_ids):
            self.staged.write(pred[i], image_id, int(plan.category_ids[i]), 1.0,
                              {"video_id": r.video.video_id, "track_id": tid, "frame": r.frame})


class OverlayVideos(Sink):
    def __init__(self, target: Path, fps: float) -> None:
        self.dir = VideoDir(target, fps)
        self._writer = None

    @property
    def names(self) -> dict[str, str]:
        return self.dir.names

    def start_video(self, video: VideoContext) -> None:
        self._writer = self.dir.open(video.video_id)

    def frame(self, r: FrameResult) -> None:
        self._writer.write_labels(r.out.image, r.labels)

    def end_video(self, video: VideoContext) -> None:
        if self._writer.num_frames:
            self._writer.close()
        else:
            self._writer.abort()
        self._writer = None

    def commit(self) -> None:
        self.dir.commit()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.dir.abort()


class WorstFrames(Sink):
    """The ``n`` frames with the lowest mean J&F over their scored objects (first threshold)."""

    def __init__(self, n: int) -> None:
        self.n, self._heap, self._tie = int(n), [], itertools.count()

    def frame(self, r: FrameResult) -> None:
        if r.scores is None:
            return
        jf = [(r.scores.j[i, 0] + r.scores.f[i, 0]) / 2 for i, ok in enumerate(r.scored) if ok]
        if not jf or self.n <= 0:
            return
        heapq.heappush(self._heap, (-float(np.mean(jf)), next(self._tie), r.video.video_id, r.frame, r.labels))
        if len(self._heap) > self.n:
            heapq.heappop(self._heap)

    def worst(self) -> list[tuple[float, str, int, np.ndarray]]:
        """(J&F, video id, frame, (H, W) predicted labels), worst first."""
        return sorted(((-s, v, t, lab) for s, _, v, t, lab in self._heap), key=lambda e: e[0])


class LogitCache(Sink):
    """Every frame's low-res logits under ``root`` (kept when ``keep``, else removed at the end)."""

    def __init__(self, root: Path, low_hw: tuple[int, int], keep: bool = False) -> None:
        self.store, self.low_hw, self.keep = LogitStore(root), low_hw, keep
        self._writer = None

    def start_video(self, video: VideoContext) -> None:
        plan = video.plan
        self._writer = self.store.writer(video.video_id, plan.num_frames, len(plan.track_ids), self.low_hw)

    def frame(self, r: FrameResult) -> None:
        self._writer.write(r.frame, r.active, r.low_res, [tid in r.prompted for tid in r.video.plan.track_ids])

    def end_video(self, video: VideoContext) -> None:
        self._writer.close()

    def commit(self) -> None:
        if not self.keep:
            self.store.cleanup()

    def abort(self) -> None:
        self.store.cleanup()


def standard_outputs(out: Path, save_masks: bool, save_rle: bool, save_video: bool, video_fps: float,
                     num_worst_frames: int, save_prompts: bool = False) -> dict[str, Optional[Sink]]:
    """The outputs of ``baseline_eval.py`` (per-frame CSV always; the others as the settings say)."""
    return {"frames": FrameCsv(out / "metrics_per_frame.csv"),
            "prompts": PromptsFiles(out / "prompts") if save_prompts else None,
            "masks": MaskPngs(out / "masks") if save_masks else None,
            "rle": CocoRle(out / "results_coco.json") if save_rle else None,
            "videos": OverlayVideos(out / "videos", video_fps) if save_video else None,
            "worst": WorstFrames(num_worst_frames) if num_worst_frames > 0 else None}
