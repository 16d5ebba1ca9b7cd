"""THE frame source of every path: frames one at a time, decoded lazily. The one decode-error rule: a
frame that fails to decode is a :class:`SourceFrame` with ``image=None`` and ``error`` (a scored run
refuses it, the stream skips it and applies its prompts on the next good frame). ``size`` (H, W) is
known before the first frame; ``num_frames`` when the source knows it (0: unknown).

- :class:`FolderSource`: image files of a folder (``FRAME_SUFFIXES``), in natural order of their names
  (``1.jpg, 2.jpg, ..., 10.jpg``; the same rule as the dataset readers, ``sam2_video.data.folders``);
- :class:`VideoFileSource`: a video file (``VIDEO_SUFFIXES``) decoded by PyAV one frame at a time;
- :class:`IteratorSource`: any iterable of (H, W, 3) uint8 RGB arrays (a camera, a generator);
- :class:`RecordSource`: the frames of a dataset video (`sam2_video.data.index.VideoRecord`).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Protocol

import numpy as np
from PIL import Image

from sam2_video.data.folders import FRAME_SUFFIXES, ordered_images
from sam2_video.errors import DatasetError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


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


class FrameSource(Protocol):
    name: str

    def __iter__(self) -> Iterator[SourceFrame]: ...

    @property
    def size(self) -> tuple[int, int]: ...  # (H, W)

    @property
    def num_frames(self) -> int: ...  # 0: unknown


class FolderSource:
    """Image files of ``folder`` in natural order of their names; ``key``: the config key that named it."""

    def __init__(self, folder: str | Path, key: str = "stream.path") -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DatasetError(f"{key}={self.folder}: not a folder of frames ({'/'.join(FRAME_SUFFIXES)})")
        try:
            self.files = ordered_images(self.folder)  # the one frame-order rule (natural sort of the stems)
        except DatasetError:
            raise DatasetError(f"{key}={self.folder}: no frames ({'/'.join(FRAME_SUFFIXES)}) in this folder") from None
        self.name = self.folder.name
        try:
            with Image.open(self.files[0]) as im:
                self._size = (int(im.height), int(im.width))
        except Exception as exc:  # noqa: BLE001 - any decoder failure
            raise DatasetError(f"{self.files[0]}: not a readable image ({type(exc).__name__}); replace it") from None

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def num_frames(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[SourceFrame]:
        for i, p in enumerate(self.files):
            yield _timed(i, p.stem, lambda p=p: np.array(Image.open(p).convert("RGB")))


class VideoFileSource:
    """Frames of a video file decoded by PyAV; a decoding error mid-file ends the stream with a
    ``SourceFrame`` carrying the error (the frames before it are kept)."""

    def __init__(self, path: str | Path, key: str = "stream.path") -> None:
        import av

        self.path = Path(path)
        if not self.path.is_file():
            raise DatasetError(f"{key}={self.path}: no such video file")
        try:
            with av.open(str(self.path)) as c:
                if not c.streams.video:
                    raise DatasetError(f"{key}={self.path}: no video stream in this file")
                st = c.streams.video[0]
                self._size, self._frames = (int(st.height), int(st.width)), int(st.frames or 0)
        except av.error.FFmpegError as exc:
            raise DatasetError(f"{key}={self.path}: not a readable video ({exc}); re-encode it as H.264 .mp4") from None
        if not all(self._size):
            raise DatasetError(f"{key}={self.path}: the video stream has no frame size; re-encode it as H.264 .mp4")
        self.name = self.path.stem

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def num_frames(self) -> int:
        return self._frames

    def __iter__(self) -> Iterator[SourceFrame]:
        import av

        with av.open(str(self.path)) as container:
            yield from _pulled(container.decode(video=0), lambda f: f.to_ndarray(format="rgb24"),
                               (av.error.FFmpegError, ValueError))


class IteratorSource:
    """Any iterable of (H, W, 3) uint8 RGB frames (a camera grabber, a generator); an item that is
    an exception instance stands for a frame that could not be grabbed."""

    def __init__(self, frames: Iterable, name: str = "camera", size: tuple[int, int] = (0, 0)) -> None:
        self.frames, self.name, self.size, self.num_frames = frames, name, tuple(size), 0

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from _pulled(iter(self.frames), _raise_if_error, ())


def _raise_if_error(item):
    if isinstance(item, BaseException):
        raise item
    return item


def _pulled(items: Iterator, to_rgb: Callable, stops: tuple) -> Iterator[SourceFrame]:
    """Frames ``to_rgb(item)`` of ``items`` named by index (grab / decode time included); a ``stops`` error
    raised by ``next(items)`` ends the stream with an error frame."""
    for i in itertools.count():
        t0 = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        except stops as exc:
            yield SourceFrame(i, f"{i:05d}", None, (time.perf_counter() - t0) * 1e3,
                              f"decoding stopped: {type(exc).__name__}: {exc}")
            return
        frame = _timed(i, f"{i:05d}", lambda: to_rgb(item))
        frame.decode_ms = (time.perf_counter() - t0) * 1e3
        yield frame


class RecordSource:
    """The frames of one dataset video (its JPEG / PNG files, via ``record.load_image``)."""

    def __init__(self, record) -> None:
        self.record, self.name = record, record.video_id

    @property
    def size(self) -> tuple[int, int]:
        return int(self.record.frames[0].height), int(self.record.frames[0].width)

    @property
    def num_frames(self) -> int:
        return len(self.record.frames)

    def __iter__(self) -> Iterator[SourceFrame]:
        for t, fr in enumerate(self.record.frames):
            yield _timed(t, Path(fr.image_path).stem, lambda t=t: self.record.load_image(t))


def open_source(path: str | Path, key: str) -> FolderSource | VideoFileSource:
    """A folder of frames or a video file (by suffix); ``key``: the config key that named it."""
    p = Path(path)
    if p.is_dir():
        return FolderSource(p, key)
    if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFileSource(p, key)
    raise DatasetError(f"{key}={p}: not a folder of frames ({'/'.join(FRAME_SUFFIXES)}) nor a video file "
                       f"({'/'.join(VIDEO_SUFFIXES)})")
