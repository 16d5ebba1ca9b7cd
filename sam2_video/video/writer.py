"""``OverlayVideoWriter``: one .mp4 per video with the masks and object ids drawn over the frames.

PyAV (FFmpeg) encodes H.264 (``libx264``, yuv420p: plays in browsers, VS Code, QuickTime, VLC).
Frames are drawn by ``sam2_video.data.visualize`` (the same colours by object id as every other
picture). The file is written through ``sam2_video.atomic.atomic_path`` (a hidden ``.tmp`` sibling)
and renamed over the target only by :meth:`OverlayVideoWriter.close` after the last frame;
:meth:`abort` (or an exception inside a ``with`` block) removes it, so a failed run never leaves a
truncated video behind.

    with OverlayVideoWriter("out/videos/v1.mp4", fps=10) as video:
        for image, masks in frames:                 # (H, W, 3) uint8 RGB, (O, H, W) bool
            video.write(image, masks, ids=[1, 2, 3])
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Optional, Sequence

import av
import numpy as np

from sam2_video.atomic import atomic_path
from sam2_video.data.visualize import draw_labels, draw_objects

CODEC = "libx264"


def video_file_name(video_id: str) -> str:
    """A safe ``<name>.mp4`` for any video id (path separators and odd characters become ``_``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(video_id)).strip("._") or "video"
    return f"{stem[:150]}.mp4"


class OverlayVideoWriter:
    """Stream RGB frames (with masks drawn on them) into an H.264 .mp4 at ``fps`` frames per second."""

    def __init__(self, target: str | os.PathLike, fps: float = 10.0, crf: int = 20, show_ids: bool = True) -> None:
        if fps <= 0:
            raise ValueError(f"fps={fps}: must be positive")
        self.target = Path(target)
        self._staging = contextlib.ExitStack()  # holds the atomic_path context until close / abort
        self.tmp = self._staging.enter_context(atomic_path(self.target))
        self.fps, self.crf, self.show_ids = fps, int(crf), show_ids
        self.num_frames = 0
        self._container: Optional[av.container.OutputContainer] = None
        self._stream = None
        self._size: Optional[tuple[int, int]] = None  # (H, W) of the first frame

    def _open(self, h: int, w: int) -> None:
        self._container = av.open(str(self.tmp), mode="w", format="mp4")
        self._stream = self._container.add_stream(CODEC, rate=round(self.fps))
        self._stream.width, self._stream.height = w + w % 2, h + h % 2  # yuv420p needs even sizes
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(self.crf), "preset": "veryfast"}
        self._size = (h, w)

    def write_frame(self, rgb: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame as it is; every frame must have the first frame's size."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        if self._container is None:
            self._open(h, w)
        elif (h, w) != self._size:
            raise ValueError(f"{self.target}: frame {self.num_frames} is {h}x{w}, the video is {self._size[0]}x{self._size[1]}")
        if h % 2 or w % 2:
            rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        self._container.mux(self._stream.encode(frame))
        self.num_frames += 1

    def write(self, image: np.ndarray, masks: np.ndarray, ids: Sequence[int]) -> None:
        """Append ``image`` (H, W, 3) uint8 RGB with ``masks`` (O, H, W) bool of objects ``ids`` (O,)."""
        self.write_frame(draw_objects(image, masks, ids, show_ids=self.show_ids))

    def write_labels(self, image: np.ndarray, labels: np.ndarray) -> None:
        """Append ``image`` with a (H, W) label map whose values are object ids (0 = background)."""
        self.write_frame(draw_labels(image, labels, show_ids=self.show_ids))

    def close(self) -> Path:
        """Flush the encoder and move the finished video to ``target``; returns ``target``."""
        if self._container is None:
            self.abort()
            raise ValueError(f"{self.target}: no frames were written")
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._container = None
        self._staging.close()  # renames the temporary file over the target
        return self.target

    def abort(self) -> None:
        """Stop and remove the partial file (``target`` is left as it was)."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - the file is deleted anyway
                pass
            self._container = None
        self._staging.__exit__(RuntimeError, RuntimeError("aborted"), None)  # removes the temporary file

    def __enter__(self) -> "OverlayVideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
