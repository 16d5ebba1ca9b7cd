"""Summary tables of an evaluation run (per object / video / category, EndoVis per class) as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sam2_video.metrics.metric_names import OBJECT_METRICS as METRIC_COLUMNS
from sam2_video.metrics.metric_names import VIDEO_CLASS_METRICS
from sam2_video.metrics.table_io import write_csv

OBJECT_COLUMNS = ("video_id", "object_id", "category_id", "category", "num_scored_frames", *METRIC_COLUMNS)
VIDEO_COLUMNS = ("video_id", "num_objects", *METRIC_COLUMNS, *VIDEO_CLASS_METRICS)
CATEGORY_COLUMNS = ("category", "category_id", "num_objects", *METRIC_COLUMNS)
CLASS_COLUMNS = ("category", "iou")


def summary_tables(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Rows of the per-object, per-video and per-category tables."""
    return {
        "object": list(summary["per_object"]),
        "video": [{"video_id": v, **m} for v, m in summary["per_video"].items()],
        "category": [{"category": c, **m} for c, m in summary["per_category"].items()],
    }


def endovis_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"category": c, "iou": v} for c, v in summary["per_class_iou"].items()]


def write_tables(out: Path, tables: dict[str, list[dict[str, Any]]], class_rows: list[dict[str, Any]]) -> None:
    write_csv(out / "metrics_per_object.csv", tables["object"], OBJECT_COLUMNS)
    write_csv(out / "metrics_per_video.csv", tables["video"], VIDEO_COLUMNS)
    write_csv(out / "metrics_per_category.csv", tables["category"], CATEGORY_COLUMNS)
    write_csv(out / "endovis_per_class.csv", class_rows, CLASS_COLUMNS)
