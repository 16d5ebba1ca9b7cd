"""report.md of an evaluation run: summary tables, per-category bar chart, J&F over time per video,
and overlays (image | GT | prediction) of the worst frames. Figures use matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

from sam2_video.atomic import atomic_path  # noqa: E402
from sam2_video.data.index import VideoIndex  # noqa: E402
from sam2_video.data.visualize import draw_labels  # noqa: E402
from sam2_video.pipeline.planners.gt import plan_video  # noqa: E402
from sam2_video.metrics.metric_names import REPORT_METRICS  # noqa: E402
from sam2_video.metrics.tables import CATEGORY_COLUMNS, VIDEO_COLUMNS  # noqa: E402
from sam2_video.metrics.table_io import markdown_table, write_markdown
from sam2_video.pipeline.sinks.staged import label_map, palette_values


def save_figure(fig, target: Path) -> Path:
    """Atomically save a matplotlib figure as PNG and close it."""
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return target


def category_chart(summary: dict[str, Any], target: Path) -> Path:
    cats = summary["per_category"]
    names = list(cats)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(names) + 2), 3.5))
    x = np.arange(len(names))
    for k, (metric, w) in enumerate((("JF", -0.25), ("J", 0.0), ("F", 0.25))):
        ax.bar(x + w, [np.nan_to_num(cats[n][metric]) for n in names], width=0.25, label=metric)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.set_title("per category")
    ax.legend()
    return save_figure(fig, target)


def jf_over_time_chart(frames_csv: Path, target: Path, max_videos: int = 20) -> Path:
    df = pd.read_csv(frames_csv)
    df = df[df["scored"] == 1]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    if not df.empty:
        df = df.assign(JF=(df["J"] + df["F"]) / 2)
        per_frame = df.groupby(["video_id", "frame"])["JF"].mean().reset_index()
        videos = list(per_frame["video_id"].unique())
        for vid in videos[:max_videos]:
            d = per_frame[per_frame["video_id"] == vid]
            ax.plot(d["frame"], d["JF"], label=str(vid), linewidth=1)
        if len(videos) <= 12:
            ax.legend(fontsize=7, ncol=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("frame")
    ax.set_ylabel("J&F (mean over objects)")
    ax.set_title("J&F over time per video")
    return save_figure(fig, target)


def worst_frame_figure(index: VideoIndex, video_id: str, t: int, pred_labels: np.ndarray, score: float,
                       target: Path) -> Path:
    record = index.video(video_id)
    plan = plan_video(record)
    image = record.load_image(t)
    gt = label_map(record.load_mask_stack(t, plan.track_ids), palette_values(plan.track_ids)) \
        if plan.track_ids else np.zeros(image.shape[:2], np.uint8)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    # the same label values (palette_values of the track ids) in both panels -> the same colour per object
    for ax, img, title in zip(axes, (image, draw_labels(image, gt), draw_labels(image, pred_labels)),
                              ("image", "ground truth", "prediction")):
        ax.imshow(img)
        ax.set_title(title)
        ax.axis("off")
    fig.suptitle(f"{video_id} frame {t}: J&F {score:.3f}")
    return save_figure(fig, target)


def prompt_text(prompt: Mapping[str, Any]) -> str:
    """``point (1 positive + centre, 0 negative)`` ... of a summary's ``prompt`` (PromptSpec.record())."""
    kind = prompt.get("kind", "?")
    if kind == "point":
        centre = " + centre" if prompt.get("include_center") else ""
        return f"point ({prompt.get('num_pos_points')} positive{centre}, {prompt.get('num_neg_points')} negative)"
    if kind == "box":
        return f"box (jitter {prompt['box_jitter']})" if prompt.get("box_jitter") else "box (tight)"
    return str(kind)


def write_report(out: Path, summary: dict[str, Any], index: VideoIndex,
                 worst: Sequence[tuple[float, str, int, np.ndarray]],
                 videos: Optional[Mapping[str, str]] = None) -> Path:
    """Write ``report.md`` and ``report/*.png``; ``worst``: (J&F, video, frame, pred labels), worst first;
    ``videos``: video id -> overlay .mp4 file name under ``out/videos`` (linked from the report)."""
    fig_dir = out / "report"
    fig_dir.mkdir(parents=True, exist_ok=True)
    o = summary["overall"]
    lines = ["# Evaluation report", ""]
    run = summary.get("run", {})
    s = summary["settings"]
    lines += [f"- checkpoint: `{run.get('checkpoint')}` (variant `{run.get('variant')}`)",
              f"- prompt: {prompt_text(summary.get('prompt') or {})} on each object's first frame"
              + (f", re-prompted every {s['reprompt_every']} frames" if s["reprompt_every"] else ""),
              f"- threshold {s['threshold']} on probabilities, non-overlap {s['non_overlap']}, "
              f"skip first/last {s['skip_first_last']}",
              f"- {o['num_videos']} videos, {o['num_objects']} objects, "
              f"{summary.get('timing', {}).get('frames', '?')} frames "
              f"({summary.get('timing', {}).get('fps', '?')} frames/s)", "", "## Overall", ""]
    lines += [markdown_table([o], REPORT_METRICS), "## Per category", ""]
    lines += [markdown_table([{"category": c, **m} for c, m in summary["per_category"].items()], CATEGORY_COLUMNS)]
    if summary["per_category"]:
        category_chart(summary, fig_dir / "per_category.png")
        lines += ["![per category](report/per_category.png)", ""]
    lines += ["## Per video", "", markdown_table([{"video_id": v, **m} for v, m in summary["per_video"].items()],
                                                  VIDEO_COLUMNS)]
    jf_over_time_chart(out / "metrics_per_frame.csv", fig_dir / "jf_over_time.png")
    lines += ["![J&F over time](report/jf_over_time.png)", "", "## Worst frames", ""]
    for k, (score, vid, t, labels) in enumerate(tqdm(list(worst), desc="report overlays", leave=False)):
        name = f"worst_{k:02d}.png"
        worst_frame_figure(index, vid, t, labels, score, fig_dir / name)
        lines += [f"{k + 1}. `{vid}` frame {t}: J&F {score:.4f}", "", f"   ![worst {k + 1}](report/{name})", ""]
    if videos:
        lines += ["## Overlay videos", ""] + [f"- [`{vid}`](videos/{name})" for vid, name in videos.items()] + [""]
    return write_markdown(out / "report.md", "\n".join(lines) + "\n")
