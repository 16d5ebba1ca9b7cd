"""Where a frame's object mask comes from, and how to decode it to a (H, W) bool array.

A `FrameRecord.objects` value is one of:
- `RleMask`: a compressed COCO RLE (COCO clip JSON; polygons / list counts are converted on load),
- `PaletteMask`: a palettised PNG and the palette index of the object (DAVIS layout),
- `BinaryImageMask`: a grey image thresholded at `threshold` (polyp layout, JPEG noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np

from sam2_video.data.mask_io import decode_rle, read_label_png, read_luma
from sam2_video.errors import DatasetError


@dataclass(frozen=True)
class RleMask:
    """Compressed COCO RLE: ``{"size": [H, W], "counts": str | bytes}``."""

    rle: Mapping[str, Any]


@dataclass(frozen=True)
class PaletteMask:
    """Pixels of a palettised (mode P or L) PNG equal to ``value``."""

    path: Path
    value: int


@dataclass(frozen=True)
class BinaryImageMask:
    """Pixels of a grey image at or above ``threshold`` (JPEG masks are noisy)."""

    path: Path
    threshold: int = 128


MaskSource = Union[RleMask, PaletteMask, BinaryImageMask]


def decode_sources(sources: Mapping[int, MaskSource], hw: tuple[int, int]) -> dict[int, np.ndarray]:
    """Decode ``track id -> source`` into ``track id -> (H, W) bool``; a file shared by several
    objects is read once. Raises DatasetError when a decoded mask is not ``hw``."""
    files: dict[Path, np.ndarray] = {}
    out: dict[int, np.ndarray] = {}
    for tid, src in sources.items():
        if isinstance(src, RleMask):
            m = decode_rle(src.rle)
            where = f"RLE of track {tid}"
        elif isinstance(src, PaletteMask):
            if src.path not in files:
                files[src.path] = read_label_png(src.path)
            m = files[src.path] == src.value
            where = str(src.path)
        elif isinstance(src, BinaryImageMask):
            if src.path not in files:
                files[src.path] = read_luma(src.path)
            m = files[src.path] >= src.threshold
            where = str(src.path)
        else:  # pragma: no cover - programming error
            raise TypeError(f"unknown mask source {type(src).__name__}")
        if m.shape != tuple(hw):
            raise DatasetError(
                f"{where}: mask size {list(m.shape)} differs from the frame size {list(hw)}; "
                "masks must be stored at the image resolution"
            )
        out[tid] = m
    return out
