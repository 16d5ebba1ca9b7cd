"""Train / val / test assignment by video (or patient), never by frame; seeded and deterministic."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from sam2_video.errors import ConfigError
from sam2_video.refiner.index import IndexRecord, check_no_leak


def assign_splits(
    records: Sequence[IndexRecord], val_fraction: float, test_fraction: float = 0.0, seed: int = 0
) -> list[IndexRecord]:
    """Give every record of a video the same split: a seeded permutation of the sorted video ids,
    the first ``round(n * test_fraction)`` -> test, the next ``max(1, round(n * val_fraction))`` -> val."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ConfigError(
            f"refiner.split: val_fraction={val_fraction} and test_fraction={test_fraction} must be in [0, 1) "
            "and sum to < 1"
        )
    videos = sorted({r.video_id for r in records})
    if len(videos) < 2 and val_fraction > 0:
        raise ConfigError(f"only {len(videos)} video(s) in the data: cannot split by video; add videos")
    order = [videos[i] for i in np.random.default_rng(seed).permutation(len(videos))]
    n_test = round(len(videos) * test_fraction)
    n_val = max(1, round(len(videos) * val_fraction)) if val_fraction > 0 else 0
    n_val = min(n_val, len(videos) - n_test - 1)
    split_of = {v: "test" if i < n_test else "val" if i < n_test + n_val else "train" for i, v in enumerate(order)}
    out = [replace(r, split=split_of[r.video_id]) for r in records]
    check_no_leak(out)
    return out
