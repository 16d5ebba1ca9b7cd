"""One bar chart per metric across the runs of a results table (``python -m sam2_video.results``).

Bars are horizontal (run names stay readable), sorted best first (largest, or smallest for losses
and the ``--ascending`` sort column), coloured by the run's dataset with one legend entry per
dataset; the colours of a dataset are the same in every chart. Runs without the metric are left
out of that chart. Matplotlib's Agg backend; files written atomically.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sam2_video.atomic import atomic_path  # noqa: E402


def plot_name(metric: str) -> str:
    """``eval/JF`` -> ``eval_JF.png``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", metric).strip("_") + ".png"


def lower_is_better(metric: str, ascending_metrics: Iterable[str] = ()) -> bool:
    return metric in set(ascending_metrics) or "loss" in metric.lower()


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def ranked(metric: str, rows: Sequence[dict], ascending: bool = False) -> list[tuple[str, float]]:
    """(run, value) of the rows with a finite ``metric``, best first (ties by run name)."""
    points = [(r["run"], float(r[metric])) for r in rows if _finite(r.get(metric))]
    return sorted(points, key=lambda p: (p[1] if ascending else -p[1], p[0]))


def plot_metric(metric: str, rows: Sequence[dict], datasets: dict[str, str], colours: dict[str, tuple],
                target: Path, ascending: bool = False) -> Path | None:
    """Bar chart of ``metric`` over ``rows`` (table rows); ``datasets``: run -> dataset. None if no values."""
    points = ranked(metric, rows, ascending)
    if not points:
        return None
    names, values = [p[0] for p in points], [p[1] for p in points]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * len(points)))
    y = list(range(len(points)))[::-1]  # best at the top
    ax.barh(y, values, color=[colours[datasets.get(n, "unknown")] for n in names])
    ax.set_yticks(y, [n if len(n) <= 48 else "..." + n[-45:] for n in names], fontsize=8)
    for yi, v in zip(y, values):
        ax.text(v, yi, f" {v:.4g}", va="center", fontsize=7)
    ax.set_xlabel(metric + (" (lower is better)" if ascending else ""))
    ax.set_title(f"{metric} across runs")
    used = list(dict.fromkeys(datasets.get(n, "unknown") for n in names))
    ax.legend(handles=[Patch(color=colours[d], label=d) for d in used], title="dataset", fontsize=8, loc="best")
    ax.margins(x=0.15)
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return target


def plot_metrics(columns: Sequence[str], rows: Sequence[dict], datasets: dict[str, str], metric_names: Iterable[str],
                 out_dir: str | Path, ascending_metrics: Iterable[str] = ()) -> list[Path]:
    """One chart per metric among ``columns`` (a results table's columns and rows; ``datasets``: run -> dataset)
    into ``out_dir``; returns the files written. Plain data in: this module does not import the results one."""
    out_dir = Path(out_dir)
    palette = plt.get_cmap("tab10").colors + plt.get_cmap("Dark2").colors
    colours = {d: palette[i % len(palette)] for i, d in enumerate(sorted(set(datasets.values())))}
    metric_names = set(metric_names)
    written = []
    for metric in (c for c in columns if c in metric_names):
        path = plot_metric(metric, rows, datasets, colours, out_dir / plot_name(metric),
                           ascending=lower_is_better(metric, ascending_metrics))
        if path is not None:
            written.append(path)
    return written
