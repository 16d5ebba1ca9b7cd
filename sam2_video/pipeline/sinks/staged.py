"""Staged files of the pipeline's sinks: streamed CSV / COCO-JSON, DAVIS-layout palettised PNGs,
overlay videos. Each writes to a hidden temporary sibling renamed over the target only when the run
succeeds (``commit``); on failure (``abort``) nothing partial is left behind.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from sam2_video.atomic import atomic_path
from sam2_video.data.mask_io import encode_rle, write_label_png
from sam2_video.metrics.table_io import _fmt, jsonable
from sam2_video.safe_paths import confined


class _Staged:
    """A temporary sibling of ``target`` that becomes ``target`` on :meth:`commit`."""

    def __init__(self, target: str | os.PathLike) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(f".{self.target.name}.partial")
        self._remove(self.tmp)

    @staticmethod
    def _remove(p: Path) -> None:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    def commit(self) -> Path:
        if self.target.is_dir():  # replace a directory (no atomic rename over a non-empty one)
            old = self.target.with_name(f".{self.target.name}.old")
            self._remove(old)
            os.replace(self.target, old)
            os.replace(self.tmp, self.target)
            shutil.rmtree(old)
        else:
            os.replace(self.tmp, self.target)
        return self.target

    def abort(self) -> None:
        self._remove(self.tmp)


class _StagedFile(_Staged):
    """A staged text file written through ``self._fh``; ``_closing`` is written before it closes on commit."""

    _closing = ""

    def __init__(self, target: str | os.PathLike, **open_kw: Any) -> None:
        super().__init__(target)
        self._fh = open(self.tmp, "w", encoding="utf-8", **open_kw)

    def commit(self) -> Path:
        self._fh.write(self._closing)
        self._fh.close()
        return super().commit()

    def abort(self) -> None:
        self._fh.close()
        super().abort()


class CsvStream(_StagedFile):
    """Rows streamed to a temporary CSV; header from ``columns``."""

    def __init__(self, target: str | os.PathLike, columns: Sequence[str]) -> None:
        super().__init__(target, newline="")
        self._w = csv.DictWriter(self._fh, fieldnames=list(columns), extrasaction="raise")
        self._w.writeheader()

    def write(self, row: Mapping[str, Any]) -> None:
        self._w.writerow({k: _fmt(v) for k, v in row.items()})


class CocoResultsStream(_StagedFile):
    """COCO results JSON list (one RLE per object and frame) streamed to disk."""

    _closing = "\n]\n"

    def __init__(self, target: str | os.PathLike) -> None:
        super().__init__(target)
        self._fh.write("[")
        self._n = 0

    def write(self, mask: np.ndarray, image_id: Any, category_id: int, score: float, extra: Mapping[str, Any]) -> None:
        """Add one (H, W) bool mask (empty masks are skipped)."""
        if not mask.any():
            return
        entry = {"image_id": jsonable(image_id), "category_id": int(category_id), "score": float(score),
                 "segmentation": encode_rle(mask), **jsonable(dict(extra))}
        self._fh.write(("," if self._n else "") + "\n" + json.dumps(entry, sort_keys=True))
        self._n += 1


class MaskDir(_Staged):
    """DAVIS-layout palettised PNGs ``<target>/<video>/<frame stem>.png`` staged as a whole."""

    def __init__(self, target: str | os.PathLike) -> None:
        super().__init__(target)
        self.tmp.mkdir(parents=True)

    def write(self, video_id: str, frame_name: str, labels: np.ndarray) -> None:
        """Write a (H, W) uint8 label map (0 background, values = object ids of the video)."""
        path = confined(self.tmp, video_id, f"{frame_name}.png", key=f"video_id / frame of {video_id!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_label_png(path, labels)

    def write_json(self, video_id: str, name: str, obj: Any) -> None:
        path = confined(self.tmp, video_id, name, key="video_id")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(jsonable(obj), indent=2, sort_keys=True) + "\n")


class VideoDir(_Staged):
    """Overlay videos ``<target>/<video>.mp4`` (``sam2_video.video.writer``) staged as a whole."""

    def __init__(self, target: str | os.PathLike, fps: float) -> None:
        super().__init__(target)
        self.tmp.mkdir(parents=True)
        self.fps = fps
        self.names: dict[str, str] = {}  # video id -> file name, in writing order

    def open(self, video_id: str):
        """An ``OverlayVideoWriter`` for ``video_id``; close it after its last frame."""
        from sam2_video.video.writer import OverlayVideoWriter, video_file_name

        self.names[video_id] = video_file_name(video_id)
        return OverlayVideoWriter(confined(self.tmp, self.names[video_id], key="video_id"), fps=self.fps)


def palette_values(track_ids: Sequence[int]) -> list[int]:
    """PNG value of each track: the track id itself if all ids fit 1..255, else rank + 1."""
    ids = [int(t) for t in track_ids]
    if all(1 <= t <= 255 for t in ids):
        return ids
    if len(ids) > 255:
        raise ValueError(f"{len(ids)} objects do not fit a palettised PNG (max 255)")
    order = {t: i + 1 for i, t in enumerate(sorted(ids))}
    return [order[t] for t in ids]


def label_map(masks: np.ndarray, values: Sequence[int]) -> np.ndarray:
    """(O, H, W) bool -> (H, W) uint8; where masks overlap the first object wins."""
    out = np.zeros(masks.shape[1:], dtype=np.uint8)
    for m, v in reversed(list(zip(masks, values))):
        out[m] = v
    return out
