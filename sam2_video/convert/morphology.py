"""Morphological opening of every mask of a COCO JSON (removes specks and thin spurs).

Masks are opened with ``cv2.morphologyEx(MORPH_OPEN)`` and a ``k x k`` elliptical (default) or
square kernel. Annotations whose mask becomes empty are dropped; changed masks are re-encoded as
compressed RLE with ``area`` / ``bbox`` recomputed; everything else is written back unchanged,
in the input's key order and JSON layout (indent, separators, trailing newline).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from loguru import logger
from pycocotools import mask as mask_util
from tqdm import tqdm

from sam2_video.atomic import write_text
from sam2_video.convert.coco_writer import mask_fields
from sam2_video.errors import ConfigError, DatasetError

KERNEL_SHAPES = {"ellipse": cv2.MORPH_ELLIPSE, "square": cv2.MORPH_RECT}


def json_style(text: str) -> dict[str, Any]:
    """``json.dumps`` keyword arguments that reproduce the layout of ``text``."""
    match = re.search(r"\n([ \t]+)\S", text)
    if match:
        indent: int | str | None = len(match[1]) if set(match[1]) == {" "} else match[1]
        separators = (",", ": ")
    else:
        indent = None
        key_sep = ": " if re.search(r'":\s', text) else ":"
        item_sep = ", " if re.search(r'[\]}"\d], ["{\[\d-]', text) else ","
        separators = (item_sep, key_sep)
    return {"indent": indent, "separators": separators, "ensure_ascii": text.isascii()}


def decode_segmentation(seg: Any, height: int, width: int) -> np.ndarray:
    """(H, W) bool mask of a polygon list, list-counts RLE or compressed RLE segmentation."""
    if isinstance(seg, Mapping) and isinstance(seg.get("counts"), (str, bytes)):
        counts = seg["counts"]
        rle = {"size": list(seg["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    elif isinstance(seg, Mapping):
        rle = mask_util.frPyObjects(dict(seg), *seg["size"])
    elif isinstance(seg, list):
        rle = mask_util.merge(mask_util.frPyObjects(seg, height, width)) if seg else None
        if rle is None:
            return np.zeros((height, width), bool)
    else:
        raise TypeError(f"unsupported segmentation {type(seg).__name__}")
    return mask_util.decode(rle).astype(bool)


def open_mask(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Morphological opening of a bool mask."""
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)


def apply_opening(input_json: str | os.PathLike, output_json: str | os.PathLike,
                  kernel_size: int = 3, kernel_shape: str = "ellipse") -> dict[str, int]:
    """Open every annotation mask of ``input_json`` and write ``output_json`` atomically.

    Returns counts: ``annotations`` (input), ``changed``, ``dropped`` (empty after opening).
    """
    if kernel_size < 1:
        raise ConfigError(f"--kernel-size {kernel_size} must be >= 1")
    if kernel_shape not in KERNEL_SHAPES:
        raise ConfigError(f"--kernel-shape {kernel_shape} is unknown: use {' or '.join(KERNEL_SHAPES)}")
    src = Path(input_json)
    try:
        text = src.read_text(encoding="utf-8")
        data = json.loads(text)
        images = {im["id"]: im for im in data["images"]}
        annotations = data["annotations"]
    except FileNotFoundError as exc:
        raise DatasetError(f"missing file {src}: fix --input-json") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{src} is not a COCO JSON with images and annotations ({exc}): fix the file") from exc
    kernel = cv2.getStructuringElement(KERNEL_SHAPES[kernel_shape], (kernel_size, kernel_size))

    kept: list[Any] = []
    changed = dropped = 0
    for ann in tqdm(annotations, unit="mask", desc="opening"):
        image = images.get(ann.get("image_id"))
        if image is None:
            raise DatasetError(f"{src}: annotation {ann.get('id')} points at missing image {ann.get('image_id')}: fix the JSON")
        try:
            mask = decode_segmentation(ann["segmentation"], int(image["height"]), int(image["width"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{src}: annotation {ann.get('id')} has an unreadable segmentation ({exc}): fix it") from exc
        opened = open_mask(mask, kernel)
        if not opened.any():
            dropped += 1
            continue
        if not np.array_equal(opened, mask):
            changed += 1
            ann.update(mask_fields(opened))
        kept.append(ann)
    data["annotations"] = kept
    out = json.dumps(data, **json_style(text)) + ("\n" if text.endswith("\n") else "")
    write_text(output_json, out)
    stats = {"annotations": len(annotations), "changed": changed, "dropped": dropped}
    logger.info(
        "opening ({} {}x{}): {} annotations, {} changed, {} dropped as empty -> {}",
        kernel_shape, kernel_size, kernel_size, len(annotations), changed, dropped, output_json,
    )
    return stats
