"""Frame sources: where a stream's frames come from, one at a time.

Every source is an iterable of :class:`SourceFrame`; a frame that fails to decode comes as a
``SourceFrame`` with ``image=None`` and ``error`` set (the runner reports it and skips it), so one
bad frame never ends the stream. ``decode_ms`` is the time spent producing the frame.

- :class:`FolderSource`: image files of a folder (jpg / jpeg / png / bmp), in name order;
- :class:`VideoFileSource`: a video file (.mp4, ...) decoded by PyAV;
- :class:`IteratorSource`: any iterable of (H, W, 3) uint8 RGB arrays (a camera, a generator);
- :class:`RecordSource`: the frames of a dataset video (`sam2_video.data.index.VideoRecord`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
from PIL import Image

from sam2_video.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass
class SourceFrame:
    index: int
    name: str  # frame name for outputs (file stem or zero-padded index)
    image: Optional[np.ndarray]  # (H, W, 3) uint8 RGB; None when decoding failed
    decode_ms: float
    error: Optional[str] = None


def _as_rgb(img: np.ndarray, where: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.dtype != np.uint8:
        raise ValueError(f"{where}: expected (H, W, 3) uint8 RGB, got {arr.shape} {arr.dtype}")
    return np.ascontiguousarray(arr[..., :3])


def _timed(index: int, name: str, load: Callable[[], np.ndarray]) -> SourceFrame:
    t0 = time.perf_counter()
    try:
        image, error = _as_rgb(load(), name), None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is reported and the frame skipped
        image, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    return SourceFrame(index, name, image, (time.perf_counter() - t0) * 1e3, error)


class FolderSource:
    """Image files of ``folder`` in name order."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DatasetError(f"{self.folder}: not a folder of frames; pass stream.path=<folder of .jpg/.png>")
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise DatasetError(f"{self.folder}: no {'/'.join(IMAGE_SUFFIXES)} frames in this folder")
        self.name = self.folder.name

    def __iter__(self) -> Iterator[SourceFrame]:
        for i, p in enumerate(self.files):
            yield _timed(i, p.stem, lambda p=p: np.array(Image.open(p).convert("RGB")))


class VideoFileSource:
    """Frames of a video file decoded by PyAV; a decoding error mid-file ends the stream with a
    ``SourceFrame`` carrying the error (the frames before it are kept)."""

    def __init__(self, path: str | Path) -> None:
        import av

        self.path = Path(path)
        if not self.path.is_file():
            raise DatasetError(f"{self.path}: no such video file; pass stream.path=<video.mp4>")
        try:
            with av.open(str(self.path)) as c:
                if not c.streams.video:
                    raise DatasetError(f"{self.path}: no video stream in this file")
        except av.error.FFmpegError as exc:
            raise DatasetError(f"{self.path}: not a readable video ({exc}); re-encode it as H.264 .mp4") from None
        self.name = self.path.stem

    def __iter__(self) -> Iterator[SourceFrame]:
        import av

        with av.open(str(self.path)) as container:
            frames = container.decode(video=0)
            i = 0
            while True:
                t0 = time.perf_counter()
                try:
                    frame = next(frames)
                except StopIteration:
                    return
                except (av.error.FFmpegError, ValueError) as exc:
                    yield SourceFrame(i, f"{i:05d}", None, (time.perf_counter() - t0) * 1e3,
                                      f"decoding stopped: {type(exc).__name__}: {exc}")
                    return
                yield SourceFrame(i, f"{i:05d}", frame.to_ndarray(format="rgb24"), (time.perf_counter() - t0) * 1e3)
                i += 1


class IteratorSource:
    """Any iterable of (H, W, 3) uint8 RGB frames (a camera grabber, a generator); an item that is
    an exception instance stands for a frame that could not be grabbed."""

    def __init__(self, frames: Iterable, name: str = "camera") -> None:
        self.frames, self.name = frames, name

    def __iter__(self) -> Iterator[SourceFrame]:
        it = iter(self.frames)
        i = 0
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return

            def load(item=item):
                if isinstance(item, BaseException):
                    raise item
                return item

            frame = _timed(i, f"{i:05d}", load)
            frame.decode_ms = (time.perf_counter() - t0) * 1e3  # grabbing included
            yield frame
            i += 1


class RecordSource:
    """The frames of one dataset video (its JPEG / PNG files, via ``record.load_image``)."""

    def __init__(self, record) -> None:
        self.record, self.name = record, record.video_id

    def __iter__(self) -> Iterator[SourceFrame]:
        for t, fr in enumerate(self.record.frames):
            yield _timed(t, Path(fr.image_path).stem, lambda t=t: self.record.load_image(t))
