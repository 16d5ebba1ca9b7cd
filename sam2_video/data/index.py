"""The common in-memory form of every dataset: videos of ordered frames with per-object mask sources.

Every reader (COCO clip JSON, DAVIS, polyp) builds a `VideoIndex`; the clip dataset, the inspect
command and the full-video evaluator read only this. Treat a built index as read-only: readers
cache and share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import cv2
import numpy as np

from sam2_video.data.mask_sources import decode_sources
from sam2_video.errors import DatasetError

_REDUCED_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}


def reduced_jpeg_factor(path: Path, hw: tuple[int, int], at_least: tuple[int, int] | None) -> int:
    """Largest JPEG decode reduction (1, 2, 4, 8) keeping an (H, W) frame >= ``at_least``; 1 for non-JPEGs."""
    if at_least is None or path.suffix.lower() not in (".jpg", ".jpeg"):
        return 1
    for k in (8, 4, 2):
        if -(-hw[0] // k) >= at_least[0] and -(-hw[1] // k) >= at_least[1]:
            return k
    return 1


@dataclass(frozen=True)
class FrameRecord:
    """One frame: image file, order in its video and the objects visible in it."""

    image_path: Path
    order: int  # order_in_video
    image_id: int | str
    height: int
    width: int
    objects: Mapping[int, Any]  # track id -> mask source (RleMask, PaletteMask, BinaryImageMask); non-empty masks only


@dataclass
class VideoRecord:
    """One video: frames sorted by order, and the category of each track."""

    video_id: str
    frames: list[FrameRecord]
    categories: dict[int, int]  # track id -> category id

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def track_ids(self) -> list[int]:
        """All track ids of the video, sorted."""
        return sorted(self.categories)

    def present(self, t: int) -> set[int]:
        """Track ids with a non-empty mask in frame ``t`` (position in ``frames``, not order)."""
        return set(self.frames[t].objects)

    def load_image(self, t: int, at_least: tuple[int, int] | None = None) -> np.ndarray:
        """Frame ``t`` as (H, W, 3) uint8 RGB; DatasetError if unreadable or not the recorded size.

        ``at_least=(h, w)``: a JPEG may be decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling,
        several times faster) as long as the result stays >= (h, w); the caller then resizes it.
        """
        fr = self.frames[t]
        k = reduced_jpeg_factor(fr.image_path, (fr.height, fr.width), at_least)
        bgr = cv2.imread(str(fr.image_path), _REDUCED_FLAGS[k])
        if bgr is None:
            raise DatasetError(
                f"{fr.image_path}: cannot read frame (image id {fr.image_id}, video {self.video_id}); "
                "restore the file or fix file_name"
            )
        if bgr.shape[:2] != (-(-fr.height // k), -(-fr.width // k)):
            size = f"{bgr.shape[1]}x{bgr.shape[0]}" + (f" at 1/{k} scale" if k > 1 else "")
            raise DatasetError(
                f"{fr.image_path}: image is {size} but the dataset says "
                f"{fr.width}x{fr.height} (image id {fr.image_id}); fix images[].width/height"
            )
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def load_masks(self, t: int, track_ids: Iterable[int] | None = None) -> dict[int, np.ndarray]:
        """Masks of frame ``t``: track id -> (H, W) bool, for the tracks present in the frame
        (restricted to ``track_ids`` when given; absent tracks are simply not in the dict)."""
        fr = self.frames[t]
        objs = fr.objects
        if track_ids is not None:
            wanted = set(track_ids)
            objs = {k: v for k, v in objs.items() if k in wanted}
        return decode_sources(objs, (fr.height, fr.width))

    def load_mask_stack(self, t: int, track_ids: list[int]) -> np.ndarray:
        """Masks of ``track_ids`` in frame ``t`` as (N, H, W) bool, zeros where a track is absent."""
        fr = self.frames[t]
        out = np.zeros((len(track_ids), fr.height, fr.width), dtype=bool)
        masks = self.load_masks(t, track_ids)
        for i, tid in enumerate(track_ids):
            if tid in masks:
                out[i] = masks[tid]
        return out


@dataclass
class VideoIndex:
    """All videos of one split, the category names, and the path used in error messages."""

    videos: list[VideoRecord]
    categories: dict[int, str]  # category id -> name
    source: str
    _by_id: dict[str, VideoRecord] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {v.video_id: v for v in self.videos}

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[VideoRecord]:
        return iter(self.videos)

    def video(self, video_id: str) -> VideoRecord:
        """The video called ``video_id``; DatasetError naming the known ids otherwise."""
        try:
            return self._by_id[video_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)[:10])
            raise DatasetError(f"{self.source}: no video {video_id!r} (known: {known}...)") from None

    @property
    def num_frames(self) -> int:
        return sum(len(v) for v in self.videos)
