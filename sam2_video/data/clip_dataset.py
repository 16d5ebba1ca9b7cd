"""Fixed-length clips cut from a `VideoIndex`, with per-object masks and first-frame prompts.

Windows: every video with at least ``clip_length`` frames gives starts ``0, stride, 2*stride, ...``
plus a last window ending on the last frame (so validation covers every frame). A window is kept
when it has at least one candidate object (see ``object_selection``); dropped windows are logged.
- validation (``train=False``): item i is window i, everything deterministic (seeded by ``seed``, i);
  its prompts are drawn as the evaluation draws them (``PromptSpec.clip_prompts``: same settings,
  same generator per (video, object, frame));
- training: item i picks a random valid start in the video of window i; randomness comes from the
  key ``(i, epoch)`` that `ClipSampler` yields, so runs are reproducible for a seed.

``object_selection``: ``first_frame`` = objects visible in the clip's first frame (prompted there);
``first_appearance`` = objects visible anywhere in the clip, each prompted on the first clip frame
where it is visible (``prompt_frames``). At most ``max_objects`` are kept (random subset).

Absent categories (prompt-free training only: ``train=True`` and ``prompt.train.mix`` = ``auto``
with probability 1): every dataset category (id != 0) with no track visible in any frame of the
clip (per the index) is appended after the selected objects as one more object: all-empty masks,
object id ``-category``, padding prompts, prompt frame 0. The learned prompt is asked for it and the
loss's object-score term (target 0: absent) teaches the model to output nothing there. Windows
without any visible object (e.g. PolypGen ``*_neg`` frames) are then kept: their clip holds only
absent-category objects. Prompted training and validation clips are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from loguru import logger
from torch.utils.data import Dataset

from sam2_video.data.augment import Augmentation
from sam2_video.data.index import VideoIndex, VideoRecord
from sam2_video.data.normalize import normalize_frames
from sam2_video.data.resize import ResizeMode, geometry, resize_image, resize_masks
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.prompt import PromptSpec

ObjectSelection = Literal["first_frame", "first_appearance"]
ShortVideo = Literal["error", "skip"]


@dataclass
class ClipItem:
    """One clip, as returned by `ClipDataset.__getitem__` (collated by `collate_clips`)."""

    frames: torch.Tensor  # (T, 3, S, S) float32, SAM2-normalised
    masks: torch.Tensor  # (T, N, S, S) bool
    object_ids: torch.Tensor  # (N,) int64 original track ids; -category for an absent-category object
    category_ids: torch.Tensor  # (N,) int64
    point_coords: torch.Tensor  # (N, P, 2) float32 xy model pixels
    point_labels: torch.Tensor  # (N, P) int32 1 / 0 / -1
    boxes: torch.Tensor  # (N, 4) float32 x0, y0, x1, y1
    prompt_frames: torch.Tensor  # (N,) int64 clip frame the prompts refer to
    frame_orders: torch.Tensor  # (T,) int64 order_in_video
    video_id: str
    clip_id: str  # "<video_id>@<first order>"
    orig_size: tuple[int, int]  # (H, W) of the source frames


class ClipDataset(Dataset):
    """Clips of ``clip_length`` frames resized to ``image_size`` (see the module docstring)."""

    def __init__(
        self,
        index: VideoIndex,
        *,
        image_size: int,
        clip_length: int = 8,
        clip_stride: int | None = None,
        max_objects: int = 3,
        resize_mode: ResizeMode = "square",
        object_selection: ObjectSelection = "first_frame",
        short_video: ShortVideo = "error",
        train: bool = False,
        prompt: PromptSpec | None = None,
        augment: Augmentation | None = None,
        seed: int = 0,
        reduced_decode: bool = True,
    ) -> None:
        if clip_length < 1 or max_objects < 1 or image_size < 8:
            raise ConfigError(
                f"data.clip_length ({clip_length}), data.max_objects ({max_objects}) must be >= 1 and "
                f"data.image_size ({image_size}) >= 8"
            )
        if object_selection not in ("first_frame", "first_appearance"):
            raise ConfigError(f"data.object_selection must be first_frame or first_appearance, got {object_selection!r}")
        if short_video not in ("error", "skip"):
            raise ConfigError(f"data.short_video must be error or skip, got {short_video!r}")
        geometry((1, 1), image_size, resize_mode)  # validates resize_mode
        self.index = index
        self.image_size = int(image_size)
        self.clip_length = int(clip_length)
        self.clip_stride = int(clip_stride or clip_length)
        if self.clip_stride < 1:
            raise ConfigError(f"data.clip_stride must be >= 1, got {clip_stride}")
        self.max_objects = int(max_objects)
        self.resize_mode = resize_mode
        self.object_selection = object_selection
        self.train = bool(train)
        self.prompt = prompt if prompt is not None else PromptSpec()
        self.sampler = self.prompt.sampler(train=self.train)
        self.augment = augment
        self.seed = int(seed)
        self.reduced_decode = bool(reduced_decode)
        # prompt-free training: the categories that become empty objects when absent from a clip ([]: off)
        auto_only = self.train and self.prompt.train.probabilities().auto >= 1.0
        self.absent_category_ids = sorted(int(c) for c in index.categories if int(c) != 0) if auto_only else []
        self.windows: list[tuple[int, int]] = []  # (video position in index, start frame position)
        self.valid_starts: dict[int, np.ndarray] = {}
        self.skipped_videos: list[str] = []
        self.dropped_windows = 0
        self._build_windows(short_video)

    def _build_windows(self, short_video: ShortVideo) -> None:
        length, src = self.clip_length, self.index.source
        no_window: list[str] = []
        for vi, video in enumerate(self.index.videos):
            n = len(video)
            if n < length:
                if short_video == "error":
                    raise DatasetError(
                        f"{src}: video {video.video_id!r} has {n} frames, fewer than clip_length={length}; "
                        "set data.short_video=skip or lower data.clip_length"
                    )
                self.skipped_videos.append(video.video_id)
                continue
            has = np.array([bool(f.objects) for f in video.frames])
            if self.object_selection == "first_frame":
                ok = has[: n - length + 1]
            else:
                csum = np.concatenate([[0], np.cumsum(has)])
                ok = (csum[length:] - csum[: n - length + 1]) > 0
            if self.absent_category_ids:  # a clip missing a category trains on it as an absent object
                ok = ok | self._misses_a_category(video)
            valid = np.flatnonzero(ok)
            starts = list(range(0, n - length + 1, self.clip_stride))
            if starts[-1] != n - length:
                starts.append(n - length)
            kept = [s for s in starts if ok[s]]
            self.dropped_windows += len(starts) - len(kept)
            if not len(valid):
                no_window.append(video.video_id)
                continue
            self.valid_starts[vi] = valid
            if not kept:  # only off-grid starts have objects: keep one window for this video
                kept = [int(valid[0])]
            self.windows.extend((vi, s) for s in kept)
        if self.skipped_videos:
            logger.warning(
                f"{src}: skipped {len(self.skipped_videos)} videos shorter than clip_length={length} "
                f"(data.short_video=skip): {self.skipped_videos[:10]}"
            )
        if no_window:
            logger.warning(f"{src}: {len(no_window)} videos have no clip with a visible object: {no_window[:10]}")
        if self.dropped_windows:
            logger.info(f"{src}: {self.dropped_windows} clip windows without a candidate object left out")
        logger.info(
            f"{src}: {len(self.windows)} clips of {length} frames (stride {self.clip_stride}, "
            f"{'train' if self.train else 'val'}) from {len(self.valid_starts)} videos"
        )
        if not self.windows:
            raise DatasetError(
                f"{src}: no clip of {length} frames with a visible object; check the annotations, "
                "lower data.clip_length or set data.object_selection=first_appearance"
            )

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, key: int | tuple[int, int]) -> ClipItem:
        """``key`` = window index (deterministic) or ``(window index, epoch)`` from `ClipSampler`."""
        if isinstance(key, (tuple, list)):
            idx, salt = int(key[0]), int(key[1])
            rng = np.random.default_rng([self.seed, salt, idx])
        else:
            idx = int(key)
            rng = np.random.default_rng([self.seed, idx])
        vi, start = self.windows[idx]
        if self.train:
            start = int(rng.choice(self.valid_starts[vi]))
        return self.load_clip(self.index.videos[vi], start, rng)

    def candidates(self, video: VideoRecord, start: int) -> dict[int, int]:
        """Candidate track id -> clip frame where it first appears (0 for ``first_frame``)."""
        if self.object_selection == "first_frame":
            return {tid: 0 for tid in sorted(video.present(start))}
        out: dict[int, int] = {}
        for t in range(self.clip_length):
            for tid in video.present(start + t):
                out.setdefault(tid, t)
        return dict(sorted(out.items()))

    def _misses_a_category(self, video: VideoRecord) -> np.ndarray:
        """(n - clip_length + 1,) bool: the window starting there lacks one of ``absent_category_ids``."""
        wanted = set(self.absent_category_ids)
        cats = [{video.categories[tid] for tid in f.objects} for f in video.frames]
        return np.array([not wanted <= set().union(*cats[s:s + self.clip_length])
                         for s in range(len(cats) - self.clip_length + 1)], dtype=bool)

    def absent_categories(self, video: VideoRecord, start: int) -> list[int]:
        """Categories of ``absent_category_ids`` with no track visible in any frame of the clip at ``start``."""
        seen = {video.categories[tid] for t in range(self.clip_length) for tid in video.present(start + t)}
        return [c for c in self.absent_category_ids if c not in seen]

    def load_clip(self, video: VideoRecord, start: int, rng: np.random.Generator) -> ClipItem:
        """Load, resize, augment and prompt the clip of ``video`` starting at frame position ``start``."""
        length, size = self.clip_length, self.image_size
        cands = self.candidates(video, start)
        tids = list(cands)
        if len(tids) > self.max_objects:
            tids = sorted(rng.choice(tids, size=self.max_objects, replace=False).tolist())
        frames = np.empty((length, size, size, 3), dtype=np.uint8)
        masks = np.zeros((length, len(tids), size, size), dtype=bool)  # (T, N, S, S)
        for t in range(length):
            fr = video.frames[start + t]
            geo = geometry((fr.height, fr.width), size, self.resize_mode)
            at_least = (geo.new_h, geo.new_w) if self.reduced_decode else None
            frames[t] = resize_image(video.load_image(start + t, at_least), geo)
            if tids:
                masks[t] = resize_masks(video.load_mask_stack(start + t, tids), geo)
        if self.augment is not None:
            frames, masks = self.augment(frames, masks, rng)
        visible = masks.any(axis=(2, 3))  # (T, N)
        prompt_frames = np.array(
            [int(np.argmax(visible[:, i])) if visible[:, i].any() else cands[tid] for i, tid in enumerate(tids)],
            dtype=np.int64,
        )
        if self.object_selection == "first_frame":
            prompt_frames[:] = 0
        first = np.stack([masks[pf, i] for i, pf in enumerate(prompt_frames)]) if tids else masks[0]
        if self.train:  # training: the dataset's random stream, training box jitter
            coords, labels, boxes = self.sampler.batch(first, rng)
        else:  # validation: drawn as the evaluation draws the prompt of (video, object, frame)
            coords, labels, boxes = self.prompt.clip_prompts(first, video.video_id, tids,
                                                             [start + int(pf) for pf in prompt_frames], self.sampler)
        absent = self.absent_categories(video, start) if self.absent_category_ids else []
        if absent:  # after the prompts and augmentation: the present objects' draws are unchanged
            masks, coords, labels, boxes, prompt_frames = _append_absent(len(absent), masks, coords, labels, boxes,
                                                                         prompt_frames)
        f0 = video.frames[start]
        return ClipItem(
            frames=normalize_frames(frames),
            masks=torch.from_numpy(masks),
            object_ids=torch.tensor(tids + [-c for c in absent], dtype=torch.int64),
            category_ids=torch.tensor([video.categories[t] for t in tids] + absent, dtype=torch.int64),
            point_coords=torch.from_numpy(coords),
            point_labels=torch.from_numpy(labels),
            boxes=torch.from_numpy(boxes),
            prompt_frames=torch.from_numpy(prompt_frames),
            frame_orders=torch.tensor([video.frames[start + t].order for t in range(length)], dtype=torch.int64),
            video_id=video.video_id,
            clip_id=f"{video.video_id}@{f0.order}",
            orig_size=(f0.height, f0.width),
        )


def _append_absent(k: int, masks: np.ndarray, coords: np.ndarray, labels: np.ndarray, boxes: np.ndarray,
                   prompt_frames: np.ndarray) -> tuple[np.ndarray, ...]:
    """Append ``k`` absent objects: empty masks (T, k, S, S), padding prompts (label -1, zero box), frame 0."""
    t, _, h, w = masks.shape
    return (np.concatenate([masks, np.zeros((t, k, h, w), dtype=bool)], axis=1),
            np.concatenate([coords, np.zeros((k, *coords.shape[1:]), dtype=coords.dtype)]),
            np.concatenate([labels, np.full((k, *labels.shape[1:]), -1, dtype=labels.dtype)]),
            np.concatenate([boxes, np.zeros((k, 4), dtype=boxes.dtype)]),
            np.concatenate([prompt_frames, np.zeros(k, dtype=prompt_frames.dtype)]))
