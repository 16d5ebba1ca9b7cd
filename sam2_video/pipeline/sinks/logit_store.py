"""Disk-backed store of a run's low-res logits, so thresholds can be scored after one model pass.

One ``.npy`` memmap per video, shape (T, O, h, w) float32 (exact: scoring from the store gives
the same masks as the evaluation), plus which objects were active on each frame. Memory use is
one frame; disk use is ``T * O * h * w * 4`` bytes per video (h = w = image_size / 4).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
import torch


class LogitStore:
    """Write per-frame low-res logits of each video, read them back frame by frame."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        self._n = 0
        self.videos: dict[str, int] = {}

    def writer(self, video_id: str, num_frames: int, num_objects: int, low_hw: tuple[int, int]) -> "_VideoWriter":
        idx = self.videos.setdefault(video_id, len(self.videos))
        return _VideoWriter(self.root / f"{idx:05d}", num_frames, num_objects, low_hw)

    def frames(self, video_id: str) -> Iterator[tuple[int, Optional[torch.Tensor], np.ndarray, set[int]]]:
        """Yield (frame, low-res logits (A, 1, h, w) of the active objects or None, active (O,), prompted)."""
        base = self.root / f"{self.videos[video_id]:05d}"
        active = np.load(base.with_suffix(".active.npy"))
        prompted = np.load(base.with_suffix(".prompted.npy"))
        logits = np.load(base.with_suffix(".logits.npy"), mmap_mode="r") if active.any() else None
        for t in range(active.shape[0]):
            low = torch.from_numpy(np.array(logits[t][active[t]]))[:, None] if active[t].any() else None
            yield t, low, active[t], set(np.flatnonzero(prompted[t]).tolist())

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class _VideoWriter:
    def __init__(self, base: Path, num_frames: int, num_objects: int, low_hw: tuple[int, int]) -> None:
        self.base = base
        self.active = np.zeros((num_frames, num_objects), dtype=bool)
        self.prompted = np.zeros((num_frames, num_objects), dtype=bool)
        self.logits = None  # (T, O, h, w) float32 memmap; none for a video without objects
        if num_objects:
            self.logits = np.lib.format.open_memmap(base.with_suffix(".logits.npy"), mode="w+", dtype=np.float32,
                                                    shape=(num_frames, num_objects, *low_hw))

    def write(self, t: int, active: np.ndarray, low_res: Optional[torch.Tensor], prompted: list[bool]) -> None:
        """Frame ``t``: active (O,) bool, low_res (A, 1, h, w) logits of the active objects, prompted (O,)."""
        self.active[t] = active
        self.prompted[t] = prompted
        if low_res is not None:
            self.logits[t, active] = low_res[:, 0].float().cpu().numpy()

    def close(self) -> None:
        if self.logits is not None:
            self.logits.flush()
            self.logits = None
        np.save(self.base.with_suffix(".active.npy"), self.active)
        np.save(self.base.with_suffix(".prompted.npy"), self.prompted)
