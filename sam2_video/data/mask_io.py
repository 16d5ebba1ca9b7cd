"""Mask input / output, one implementation each (docs/data.md "Masks"):

- COCO RLE: :func:`encode_rle` ((H, W) bool -> JSON-ready compressed RLE), :func:`decode_rle`,
  :func:`rle_area_bbox`;
- label PNGs: :func:`read_label_png` (palettised / grey PNG -> its raw values), :func:`write_label_png`
  (DAVIS palette, :func:`davis_palette`); value :data:`VOID` (255) is never an object;
- binary mask images (polyp layout): :func:`read_luma` (8-bit luma), foreground ``>= threshold``;
- :func:`apply_packed`: run one uint8 image operation (resize, warp) on up to 8 masks at once,
  each mask one bit of the image (nearest-neighbour operations keep the bits apart).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from sam2_video.errors import DatasetError

VOID = 255  # DAVIS "void" label: ignored (not an object, not scored as one)
LABEL_MODES = ("P", "L", "1")


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """Compressed COCO RLE of an (H, W) bool mask: ``{"size": [H, W], "counts": str}``."""
    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def _bytes_rle(rle: Mapping[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    return {"size": [int(s) for s in rle["size"]], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def decode_rle(rle: Mapping[str, Any]) -> np.ndarray:
    """(H, W) bool of a compressed RLE (counts str or bytes)."""
    return mask_utils.decode(_bytes_rle(rle)).astype(bool)


def rle_area_bbox(rle: Mapping[str, Any]) -> tuple[int, list[int]]:
    """(area, [x, y, w, h]) of a compressed RLE (counts str or bytes)."""
    b = _bytes_rle(rle)
    return int(mask_utils.area(b)), [int(round(float(v))) for v in mask_utils.toBbox(b)]


def davis_palette() -> list[int]:
    """The 256-colour PASCAL VOC / DAVIS palette as a flat [r, g, b, ...] list."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


_PALETTE = davis_palette()


def read_label_png(path: Path) -> np.ndarray:
    """A palettised (P) or grey (L, 1) label image as its raw values, (H, W) uint8."""
    try:
        with Image.open(path) as im:
            if im.mode not in LABEL_MODES:
                raise DatasetError(
                    f"{path}: annotation has mode {im.mode}, expected a palettised (P) or grey (L) PNG whose "
                    "values are object ids; convert it with PIL `.convert('P')` or re-export")
            return np.asarray(im).astype(np.uint8)
    except FileNotFoundError:
        raise DatasetError(f"{path}: annotation file not found; restore it or drop the frame") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read annotation ({exc}); replace the file") from None


def label_ids(labels: np.ndarray) -> list[int]:
    """Object ids of a label map: every value present except 0 (background) and :data:`VOID`."""
    counts = np.bincount(labels.ravel(), minlength=256)
    return [int(v) for v in np.flatnonzero(counts) if v not in (0, VOID)]


def write_label_png(path: Path, labels: np.ndarray) -> None:
    """(H, W) uint8 label map -> palettised PNG with the DAVIS palette (fast compression)."""
    im = Image.fromarray(np.asarray(labels, dtype=np.uint8), mode="P")
    im.putpalette(_PALETTE)
    im.save(path, format="PNG", optimize=False, compress_level=1)


def read_luma(path: Path) -> np.ndarray:
    """An image as (H, W) uint8 grey (OpenCV luma), e.g. a JPEG-compressed binary mask."""
    arr = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise DatasetError(f"{path}: cannot read mask image (missing or corrupt); restore the file")
    return arr


def apply_packed(masks: np.ndarray, op: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(N, H, W) bool -> (N, h, w) bool: ``op`` (a nearest-neighbour uint8 image operation) applied to
    every mask, 8 masks per call (mask j of a chunk is bit j of the image)."""
    chunks = []
    for i in range(0, masks.shape[0], 8):
        chunk = masks[i : i + 8]
        bits = np.zeros(chunk.shape[1:], dtype=np.uint8)
        for j, m in enumerate(chunk):
            bits |= m.astype(np.uint8) << j
        out = op(bits)
        chunks.append(np.stack([((out >> j) & 1).astype(bool) for j in range(len(chunk))]))
    if not chunks:
        return np.zeros((0, *op(np.zeros(masks.shape[1:], np.uint8)).shape), dtype=bool)
    return np.concatenate(chunks)
