"""Threshold search: one pass of the evaluation loop scoring every threshold of a grid at once.

The scores at threshold ``tau`` are exactly those of ``baseline_eval.py eval.threshold=tau``: the same
loop (``sam2_video.pipeline.run``), predictions and :class:`~sam2_video.metrics.scoring.ThresholdScorer`, only
the outputs differ. Outputs in ``output_dir``: thresholds.csv / thresholds.md (metric per threshold),
best_thresholds.json (best threshold per metric; ties go to the lowest threshold; written last),
thresholds.png (metric vs threshold), and with ``keep_logits`` the low-res logits in ``.logits/``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from loguru import logger  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from sam2_video.atomic import write_json  # noqa: E402
from sam2_video.data.index import VideoIndex  # noqa: E402
from sam2_video.errors import ConfigError  # noqa: E402
from sam2_video.pipeline.jobs import index_jobs, select_videos  # noqa: E402
from sam2_video.pipeline.run import run_videos  # noqa: E402
from sam2_video.metrics.metric_names import METRICS  # noqa: E402
from sam2_video.pipeline.sinks.eval_sinks import LogitCache  # noqa: E402
from sam2_video.eval.report import save_figure  # noqa: E402
from sam2_video.pipeline.eval_settings import EvalSettings  # noqa: E402
from sam2_video.pipeline.assemble import (build_chain, build_model, class_ids_of, load_index,  # noqa: E402
                                          make_planner, plain_chain_settings, prompt_spec_of, settings_of)
from sam2_video.prompt import PromptSpec  # noqa: E402
from sam2_video.metrics.summary import pooled_metrics  # noqa: E402
from sam2_video.metrics.table_io import jsonable, markdown_table, write_csv, write_markdown

PLOT_METRICS = ("JF", "J", "F", "dice", "challenge_iou", "mciou")


def parse_thresholds(text: str) -> list[float]:
    """'0.3,0.5,0.7' -> sorted floats (ConfigError on bad input)."""
    try:
        values = sorted({float(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise ConfigError(f"--thresholds {text!r}: expected comma-separated probabilities, e.g. 0.3,0.5,0.7") from None
    if not values or not all(0 < v < 1 for v in values):
        raise ConfigError(f"--thresholds {text!r}: every threshold must be in (0, 1)")
    return values


def grid_search(cfg: DictConfig, output_dir: str | Path, thresholds: Optional[Sequence[float]] = None,
                keep_logits: bool = False) -> dict:
    """Run the model once on ``cfg``'s eval split and score every threshold (default: eval.thresholds)."""
    settings = settings_of(cfg)
    model = build_model(cfg, settings)
    index = load_index(cfg, settings.split)
    return search_index(model, index, settings, output_dir, thresholds or settings.threshold_grid(),
                        keep_logits=keep_logits, prompt=prompt_spec_of(cfg), cfg=cfg)


def search_index(model: torch.nn.Module, index: VideoIndex, settings: EvalSettings, output_dir: str | Path,
                 thresholds: Sequence[float], keep_logits: bool = False, prompt: Optional[PromptSpec] = None,
                 cfg: Optional[DictConfig] = None) -> dict:
    """One loop pass scoring ``thresholds``; writes the outputs (module doc) and returns the result dict."""
    out = Path(output_dir)
    prompt = prompt if prompt is not None else PromptSpec()
    planner = make_planner(settings, model, index, prompt)
    videos = select_videos(index, settings.max_videos, settings.split)
    thresholds = sorted(float(t) for t in thresholds)
    chain = build_chain(cfg if cfg is not None else DictConfig({}), model, plain_chain_settings(settings), settings,
                        thresholds=thresholds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "best_thresholds.json").unlink(missing_ok=True)
    outputs = [LogitCache(out / ".logits", (int(model.image_size) // 4,) * 2)] if keep_logits else []
    res = run_videos(chain, index_jobs(videos, planner), outputs, dict(index.categories), class_ids_of(index),
                     settings.bound_th, settings.skip_first_last)
    metrics = pooled_metrics(res.objects, res.endovis, len(thresholds))
    table = [{"threshold": tau, **{m: float(metrics[m][k]) if m in metrics else math.nan for m in METRICS}}
             for k, tau in enumerate(thresholds)]
    best = _best(table)
    write_csv(out / "thresholds.csv", table, ("threshold", *METRICS))
    md = markdown_table(table, ("threshold", *METRICS))
    md += "\nBest threshold per metric:\n\n" + markdown_table(
        [{"metric": m, **b} for m, b in best.items()], ("metric", "threshold", "value"))
    write_markdown(out / "thresholds.md", md)
    _plot(table, out / "thresholds.png")
    result = {"thresholds": thresholds, "table": table, "best": best,
              "timing": {"seconds": round(res.seconds, 3), "frames": res.frames},
              "settings": {"non_overlap": settings.non_overlap, "skip_first_last": settings.skip_first_last,
                           "split": settings.split},
              "prompt": prompt.record()}
    write_json(out / "best_thresholds.json",
               jsonable({k: result[k] for k in ("best", "timing", "settings", "prompt")}))
    b = best.get("JF", {})
    logger.info(f"{out}: best J&F {b.get('value', float('nan')):.4f} at threshold {b.get('threshold')}")
    return result


def _best(table: list[dict]) -> dict[str, dict[str, float]]:
    best = {}
    for m in METRICS:
        vals = np.array([r[m] for r in table], dtype=np.float64)
        if np.all(np.isnan(vals)):
            continue
        k = int(np.nanargmax(vals))  # first maximum: the lowest threshold on ties
        best[m] = {"threshold": table[k]["threshold"], "value": float(vals[k])}
    return best


def _plot(table: list[dict], target: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    x = [r["threshold"] for r in table]
    for m in PLOT_METRICS:
        y = [r[m] for r in table]
        if not all(math.isnan(v) for v in y):
            ax.plot(x, y, marker="o", markersize=3, label=m)
    ax.set_xlabel("threshold (probability)")
    ax.set_ylabel("score")
    ax.set_title("metric vs threshold")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, target)
