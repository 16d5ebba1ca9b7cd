"""Threshold search: one model pass, logits kept on disk, every threshold of a grid scored at once.

The scores at threshold ``tau`` are exactly those of ``baseline_eval.py eval.threshold=tau`` (same
predictions, same :class:`~sam2_video.eval.scoring.ThresholdScorer`). Outputs in ``output_dir``:
thresholds.csv / thresholds.md (metric per threshold), best_thresholds.json (best threshold per
metric; ties go to the lowest threshold; written last), thresholds.png (metric vs threshold).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from loguru import logger  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402
from tqdm import tqdm  # noqa: E402

from sam2_video.atomic import write_json  # noqa: E402
from sam2_video.data.index import VideoIndex  # noqa: E402
from sam2_video.errors import ConfigError  # noqa: E402
from sam2_video.eval.aggregate import VideoAccumulator, pool_objects  # noqa: E402
from sam2_video.eval.endovis_metrics import EndoVisAccumulator  # noqa: E402
from sam2_video.eval.evaluate import build_model, class_ids_of, load_index, make_planner, make_propagator  # noqa: E402
from sam2_video.inference.geometry import FrameGeometry  # noqa: E402
from sam2_video.eval.logit_store import LogitStore  # noqa: E402
from sam2_video.eval.report import save_figure  # noqa: E402
from sam2_video.eval.scoring import ThresholdScorer  # noqa: E402
from sam2_video.eval.settings import EvalSettings  # noqa: E402
from sam2_video.eval.writers import jsonable, markdown_table, write_csv, write_markdown  # noqa: E402

SEARCH_METRICS = ("JF", "J", "F", "J_recall", "F_recall", "dice", "iou", "challenge_iou", "endovis_iou", "mciou",
                  "ternaus_dice", "ternaus_jaccard")
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
    settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    index = load_index(cfg, settings.split)
    model = build_model(cfg, settings)
    resize_mode = OmegaConf.select(cfg, "data.resize_mode", default="square")
    return search_index(model, index, settings, output_dir, thresholds or settings.threshold_grid(),
                        resize_mode=resize_mode, keep_logits=keep_logits)


def search_index(model: torch.nn.Module, index: VideoIndex, settings: EvalSettings, output_dir: str | Path,
                 thresholds: Sequence[float], resize_mode: str = "square", keep_logits: bool = False) -> dict:
    """Model pass into a :class:`LogitStore`, then score ``thresholds``; returns the result dict."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "best_thresholds.json").unlink(missing_ok=True)
    thresholds = sorted(float(t) for t in thresholds)
    videos = index.videos[: settings.max_videos] if settings.max_videos else index.videos
    if not videos:
        raise ConfigError(f"{index.source}: split '{settings.split}' has no videos to evaluate")
    class_ids = class_ids_of(index)
    scorer = ThresholdScorer(thresholds, settings.non_overlap, settings.bound_th, class_ids)
    propagator, planner = make_propagator(model, settings), make_planner(settings, model, index)
    store = LogitStore(out / ".logits")
    t0 = time.perf_counter()
    try:
        plans = {}
        for record in tqdm(videos, desc="model pass", unit="video"):
            plan = plans[record.video_id] = planner.plan(record)
            gt = planner.gt(record, plan)
            geo = FrameGeometry(plan.height, plan.width, propagator.image_size, settings.geometry, resize_mode)
            low = propagator.image_size // 4
            w = store.writer(record.video_id, plan.num_frames, len(plan.track_ids), (low, low))
            for pf in tqdm(planner.predict(propagator, record, plan, gt, geo), total=plan.num_frames,
                           desc=record.video_id, unit="frame", leave=False):
                w.write(pf, plan.track_ids)
            w.close()
        t_model = time.perf_counter() - t0
        objects, endovis = [], EndoVisAccumulator(len(class_ids), len(thresholds))
        for record in tqdm(videos, desc=f"scoring {len(thresholds)} thresholds", unit="video"):
            plan = plans[record.video_id]
            gt = planner.gt(record, plan)
            geo = FrameGeometry(plan.height, plan.width, propagator.image_size, settings.geometry, resize_mode)
            acc = VideoAccumulator(plan, len(class_ids), len(thresholds), settings.skip_first_last)
            for t, low_res, active, _ in store.frames(record.video_id):
                gt_t = gt(t)
                q = np.zeros(gt_t.shape, dtype=np.uint8)
                if low_res is not None:
                    q[active] = scorer.quantize(geo.logits(low_res.to(propagator.device)))
                acc.add(t, scorer.score(q, gt_t, plan.category_ids))
            objects += acc.objects
            endovis.merge(acc.endovis)
    finally:
        if not keep_logits:
            store.cleanup()
    seconds = time.perf_counter() - t0
    table = _table(thresholds, objects, endovis)
    best = _best(table)
    write_csv(out / "thresholds.csv", table, ("threshold", *SEARCH_METRICS))
    md = markdown_table(table, ("threshold", *SEARCH_METRICS))
    md += "\nBest threshold per metric:\n\n" + markdown_table(
        [{"metric": m, **b} for m, b in best.items()], ("metric", "threshold", "value"))
    write_markdown(out / "thresholds.md", md)
    _plot(table, out / "thresholds.png")
    result = {"thresholds": thresholds, "table": table, "best": best,
              "timing": {"seconds": round(seconds, 3), "model_pass_seconds": round(t_model, 3)},
              "settings": {"prompt_type": settings.prompt_type, "non_overlap": settings.non_overlap,
                           "skip_first_last": settings.skip_first_last, "split": settings.split}}
    write_json(out / "best_thresholds.json", jsonable({"best": best, "timing": result["timing"],
                                                      "settings": result["settings"]}))
    b = best.get("JF", {})
    logger.info(f"{out}: best J&F {b.get('value', float('nan')):.4f} at threshold {b.get('threshold')}")
    return result


def _table(thresholds: Sequence[float], objects, endovis: EndoVisAccumulator) -> list[dict]:
    pooled = pool_objects([o.result() for o in objects]) if objects else {}
    ev = endovis.result()
    cols = {**pooled, "challenge_iou": ev["challenge_iou"], "endovis_iou": ev["iou"], "mciou": ev["mciou"],
            "ternaus_dice": ev["dice"], "ternaus_jaccard": ev["jaccard"]}
    return [{"threshold": tau, **{m: float(cols[m][k]) if m in cols else math.nan for m in SEARCH_METRICS}}
            for k, tau in enumerate(thresholds)]


def _best(table: list[dict]) -> dict[str, dict[str, float]]:
    best = {}
    for m in SEARCH_METRICS:
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
