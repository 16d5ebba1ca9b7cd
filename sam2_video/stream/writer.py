"""What a stream run writes: per-frame CSV, DAVIS-layout mask PNGs, overlay videos.

All staged (`sam2_video.pipeline.sinks.staged`): files appear under their names when the run ends
(:meth:`StreamOutputs.commit`, also after a skipped frame, a stream that ended early or Ctrl-C),
and nothing partial is left when it fails (:meth:`StreamOutputs.abort`).

``frames.csv``: one row per (frame, object); a frame that failed to decode is one row with an
empty ``object_id`` and its ``error``. Latency columns are milliseconds per stage of that frame
(the frame's cost, repeated on each of its object rows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from sam2_video.pipeline.sinks.staged import CsvStream, MaskDir, VideoDir, label_map, palette_values
from sam2_video.stream.runner import STAGES, StreamFrame

FRAME_COLUMNS = ("video_id", "frame", "frame_name", "object_id", "area", "confidence", "object_score",
                 "low_conf", "big_change", "lost", "prompted", "autoprompted", "memory_written",
                 *(f"{s}_ms" for s in STAGES), "total_ms", "cpu_ms", "J", "F", "dice", "iou", "scored", "error")


class StreamOutputs:
    """Outputs of one run in ``out_dir``: frames.csv, masks/<video>/<frame>.png, videos/<video>.mp4."""

    def __init__(self, out_dir: str | Path, save_masks: bool, save_video: bool, fps: float) -> None:
        out = Path(out_dir)
        self.csv = CsvStream(out / "frames.csv", FRAME_COLUMNS)
        self.masks = MaskDir(out / "masks") if save_masks else None
        self.videos = VideoDir(out / "videos", fps) if save_video else None
        self._video = None

    @property
    def streams(self) -> list:
        return [s for s in (self.csv, self.masks, self.videos) if s is not None]

    def begin(self, video_id: str, track_ids: Optional[Sequence[int]] = None) -> None:
        """Start a video; ``track_ids``: every object it will have (fixes the PNG values), if known."""
        self.video_id, self.values = video_id, {}
        if track_ids:
            self.values = dict(zip(track_ids, palette_values(list(track_ids))))
            if self.masks is not None:
                self.masks.write_json(video_id, "objects.json",
                                      {"png_value_to_track_id": {v: k for k, v in self.values.items()}})
        self._video = self.videos.open(video_id) if self.videos is not None else None

    def write(self, frame: StreamFrame, scores: Optional[Mapping[int, Mapping[str, float]]] = None) -> None:
        """Write one frame; ``scores``: object id -> {J, F, dice, iou, scored} (scored runs)."""
        base = {"video_id": self.video_id, "frame": frame.index, "frame_name": frame.name,
                **{f"{k}_ms": round(v, 3) for k, v in frame.ms.items()}}
        if frame.error is not None:
            self.csv.write({**base, "error": frame.error})
            return
        ids = frame.object_ids
        for oid in ids:
            self.values.setdefault(oid, oid if 1 <= oid <= 255 else len(self.values) + 1)
        values = [self.values[o] for o in ids]
        labels = label_map(frame.masks, values) if ids else np.zeros(frame.image.shape[:2], np.uint8)
        for i, oid in enumerate(ids):
            q = frame.qa[i]
            row = {**base, "object_id": oid, "area": int(frame.masks[i].sum()), "confidence": q.confidence,
                   "object_score": float(frame.object_scores[i]), "low_conf": int(q.low_conf),
                   "big_change": int(q.big_change), "lost": int(q.lost), "prompted": int(oid in frame.prompted),
                   "autoprompted": int(oid in frame.autoprompted), "memory_written": int(frame.memory_written)}
            self.csv.write({**row, **(scores or {}).get(oid, {})})
        if self.masks is not None:
            self.masks.write(self.video_id, frame.name, labels)
        if self._video is not None:
            self._video.write_labels(frame.image, labels)

    def end(self) -> None:
        if self._video is not None and self._video.num_frames:
            self._video.close()
        elif self._video is not None:
            self._video.abort()
        self._video = None

    def commit(self) -> None:
        for s in self.streams:
            s.commit()

    def abort(self) -> None:
        if self._video is not None:
            self._video.abort()
        for s in self.streams:
            s.abort()
