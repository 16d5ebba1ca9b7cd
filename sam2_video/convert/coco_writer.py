"""Shared COCO clip output: RLE encoding, JSON assembly with deterministic ids, summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger

from sam2_video.atomic import write_json
from sam2_video.data.mask_io import encode_rle as encode_mask, rle_area_bbox  # noqa: F401  (re-exported)
from sam2_video.errors import DatasetError


def mask_fields(mask: np.ndarray) -> dict[str, Any]:
    """``segmentation``, ``area`` and ``bbox`` fields of an annotation for ``mask``."""
    rle = encode_mask(mask)
    area, bbox = rle_area_bbox(rle)
    return {"segmentation": rle, "area": area, "bbox": bbox}


class CocoBuilder:
    """Accumulates images and annotations in call order; ids are 1, 2, 3, ... in that order.

    Callers add videos in sorted order and frames by ``order_in_video`` so that ids are stable
    across re-runs and identical in full and split outputs.
    """

    def __init__(self, categories: Mapping[int, str], info: Mapping[str, Any] | None = None) -> None:
        self.categories = dict(sorted(categories.items()))
        self.info = dict(info or {})
        self.videos: list[str] = []
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self._image_video: dict[int, str] = {}
        self._track_category: dict[tuple[str, int], int] = {}

    def add_video(self, video_id: str) -> None:
        """Register a video (ids must be unique)."""
        if video_id in self.videos:
            raise DatasetError(f"video id {video_id} appears twice: rename one of the source folders")
        self.videos.append(video_id)

    def add_image(self, video_id: str, order: int, file_name: str, height: int, width: int) -> int:
        """Add one frame and return its image id."""
        image_id = len(self.images) + 1
        self.images.append({
            "id": image_id, "file_name": file_name, "height": int(height), "width": int(width),
            "video_id": video_id, "order_in_video": int(order),
        })
        self._image_video[image_id] = video_id
        return image_id

    def add_annotation(self, image_id: int, category_id: int, track_id: int, mask: np.ndarray,
                       source: str | Path = "") -> bool:
        """Add one instance mask; empty masks are skipped (returns False)."""
        if category_id not in self.categories:
            raise DatasetError(f"{source}: category id {category_id} is not defined: fix the label")
        if not mask.any():
            return False
        key = (self._image_video[image_id], int(track_id))
        known = self._track_category.setdefault(key, int(category_id))
        if known != category_id:
            raise DatasetError(
                f"{source}: track {track_id} of video {key[0]} changes category {known} -> "
                f"{category_id}: give the instance one category throughout the video"
            )
        self.annotations.append({
            "id": len(self.annotations) + 1, "image_id": image_id, "category_id": int(category_id),
            "track_id": int(track_id), "iscrowd": 0, **mask_fields(mask),
        })
        return True

    def dataset(self, video_ids: Collection[str] | None = None, all_categories: bool = False) -> dict[str, Any]:
        """The COCO clip dict, restricted to ``video_ids`` when given.

        Categories keep their fixed ids; only those with an annotation in this output are listed
        unless ``all_categories`` (the clip loader rejects categories without annotations).
        """
        keep = set(self.videos if video_ids is None else video_ids)
        images = [im for im in self.images if im["video_id"] in keep]
        image_ids = {im["id"] for im in images}
        annotations = [a for a in self.annotations if a["image_id"] in image_ids]
        used = {a["category_id"] for a in annotations}
        out: dict[str, Any] = {
            "categories": [{"id": cid, "name": name} for cid, name in self.categories.items()
                           if all_categories or cid in used],
            "images": images,
            "annotations": annotations,
            "videos": [{"id": v, "name": v} for v in self.videos if v in keep],
        }
        if self.info:
            out["info"] = self.info
        return out


def summarize(dataset: Mapping[str, Any]) -> dict[str, Any]:
    """Counts of videos, frames, annotations, empty frames and objects per category."""
    video_of = {im["id"]: im["video_id"] for im in dataset["images"]}
    names = {c["id"]: c["name"] for c in dataset["categories"]}
    tracks: dict[int, set] = defaultdict(set)
    per_cat_ann: dict[int, int] = defaultdict(int)
    annotated: set[int] = set()
    for ann in dataset["annotations"]:
        tracks[ann["category_id"]].add((video_of[ann["image_id"]], ann["track_id"]))
        per_cat_ann[ann["category_id"]] += 1
        annotated.add(ann["image_id"])
    return {
        "videos": len({im["video_id"] for im in dataset["images"]}),
        "frames": len(dataset["images"]),
        "annotations": len(dataset["annotations"]),
        "empty_frames": len(dataset["images"]) - len(annotated),
        "categories": {
            f"{names[cid]} ({cid})": {"objects": len(tracks[cid]), "annotations": per_cat_ann[cid]}
            for cid in sorted(names)
        },
    }


def log_summary(summary: Mapping[str, Any], label: str) -> None:
    """Log a summary from :func:`summarize` with Loguru."""
    logger.info(
        "{}: {} videos, {} frames, {} annotations, {} empty frames",
        label, summary["videos"], summary["frames"], summary["annotations"], summary["empty_frames"],
    )
    for name, counts in summary["categories"].items():
        logger.info("  {}: {} objects, {} annotations", name, counts["objects"], counts["annotations"])


def split_paths(output_file: Path) -> tuple[Path, Path]:
    """``out.json`` -> (``out_train.json``, ``out_val.json``)."""
    return (output_file.with_name(f"{output_file.stem}_train{output_file.suffix}"),
            output_file.with_name(f"{output_file.stem}_val{output_file.suffix}"))


def write_outputs(builder: CocoBuilder, output_file: Path, val_videos: Collection[str] | None = None,
                  all_categories: bool = False) -> dict[str, dict[str, Any]]:
    """Write the JSON(s) atomically and log their summaries; returns {path: summary}.

    Without ``val_videos`` one file is written; with it ``<stem>_train`` and ``<stem>_val``.
    """
    if val_videos is None:
        targets = {output_file: None}
    else:
        train_path, val_path = split_paths(output_file)
        targets = {train_path: [v for v in builder.videos if v not in val_videos],
                   val_path: [v for v in builder.videos if v in val_videos]}
    summaries: dict[str, dict[str, Any]] = {}
    datasets = {path: builder.dataset(videos, all_categories) for path, videos in targets.items()}
    for path, dataset in datasets.items():
        write_json(path, dataset)
        summaries[str(path)] = summary = summarize(dataset)
        log_summary(summary, str(path))
    return summaries
