"""Full-video evaluation: ``evaluate(cfg) -> summary dict`` (what baseline_eval.py runs).

Outputs in ``output_dir`` (docs/eval.md): metrics_per_frame.csv, metrics_per_object.csv,
metrics_per_video.csv, metrics_per_category.csv, endovis_per_class.csv, masks/<video>/<frame>.png
(DAVIS layout), results_coco.json (``eval.save_rle``), report.md + report/ (``eval.report``),
and summary.json, written last: a run that fails leaves no summary.json.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sam2_video.atomic import write_json
from sam2_video.data.index import VideoIndex
from sam2_video.config import build
from sam2_video.errors import ConfigError
from sam2_video.eval.aggregate import ObjectAccumulator, VideoAccumulator, at, group_pool, pool_objects
from sam2_video.eval.endovis_metrics import EndoVisAccumulator
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.eval.prompting import EvalPromptFactory
from sam2_video.inference.propagate import VideoPropagator
from sam2_video.eval.runner import GtPlanner
from sam2_video.eval.scoring import ThresholdScorer
from sam2_video.eval.settings import EvalSettings
from sam2_video.eval.tables import endovis_rows, summary_tables, write_tables
from sam2_video.eval.writers import (CocoResultsStream, CsvStream, MaskDir, VideoDir, jsonable, label_map,
                                     palette_values)

FRAME_COLUMNS = ("video_id", "frame", "frame_name", "object_id", "category_id", "category", "gt_area",
                 "pred_area", "J", "F", "dice", "iou", "scored", "prompted")


def output_dir_of(cfg: DictConfig) -> Path:
    """``cfg.output_dir`` resolved (ConfigError outside a Hydra run when it is not set)."""
    try:
        out = cfg.output_dir
    except Exception:  # ${hydra:runtime.output_dir} outside @hydra.main
        out = None
    if not out:
        raise ConfigError("output_dir is not set; pass output_dir=outputs/eval_run")
    return Path(str(out))


def load_index(cfg: DictConfig, split: str) -> VideoIndex:
    """``instantiate(cfg.data)`` -> prepare_data -> ``video_index(split)`` (UserErrors unwrapped)."""
    dm = build(cfg.data)
    dm.prepare_data()
    return dm.video_index(split)


def build_model(cfg: DictConfig, settings: EvalSettings) -> torch.nn.Module:
    """Our SAM2 from ``cfg.model`` (checkpoint or random), on ``eval.device``, in eval mode."""
    from sam2_video.model.builder import build_sam2_model

    return build_sam2_model(cfg.model).to(settings.torch_device()).eval()


def make_propagator(model: torch.nn.Module, settings: EvalSettings) -> VideoPropagator:
    device = next(model.parameters()).device
    return VideoPropagator(model, memory_dtype=settings.memory_torch_dtype(),
                               autocast_dtype=settings.autocast_dtype(device))


def make_factory(settings: EvalSettings) -> EvalPromptFactory:
    return EvalPromptFactory(settings.prompt_type, settings.num_pos_points, settings.num_neg_points,
                             settings.include_center, settings.box_jitter, settings.seed)


def make_planner(settings: EvalSettings, model: torch.nn.Module, index: VideoIndex):
    """The per-video plan / GT / predictions of ``settings.prompt_type``: from GT prompts, or (``auto``)
    the model's learned prompt encoder on every category (``sam2_video.autoprompt``; reads no GT)."""
    if settings.prompt_type == "auto":
        from sam2_video.autoprompt.planner import AutoPlanner

        return AutoPlanner.for_model(model, index, settings.auto_prompt)
    return GtPlanner(make_factory(settings), settings.reprompt_every)


def class_ids_of(index: VideoIndex) -> list[int]:
    """Classes 1..K of the class-level metrics: every category id except 0 (background)."""
    return sorted(c for c in index.categories if c != 0)


def run_info_of(cfg: DictConfig) -> dict[str, Any]:
    data = cfg.get("data") or {}
    return {"checkpoint": OmegaConf.select(cfg, "model.checkpoint_path"),
            "variant": OmegaConf.select(cfg, "model.variant"),
            "data": {k: OmegaConf.select(cfg, f"data.{k}") for k in ("format", "root", "val_path", "test_path")
                     if k in data}}


def evaluate(cfg: DictConfig) -> dict:
    """Evaluate ``cfg.model`` on ``cfg.data`` split ``cfg.eval.split``; returns the summary dict."""
    settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    out_dir = output_dir_of(cfg)
    index = load_index(cfg, settings.split)
    model = build_model(cfg, settings)
    resize_mode = OmegaConf.select(cfg, "data.resize_mode", default="square")
    return evaluate_index(model, index, settings, out_dir, run_info_of(cfg), resize_mode=resize_mode)


def evaluate_model(cfg: DictConfig, model: torch.nn.Module, datamodule: Any, output_dir: str | Path,
                   checkpoint: str | None = None) -> dict:
    """Evaluate an in-memory ``model`` (e.g. the best weights after training) on ``datamodule``'s
    ``eval.split`` videos, on the model's current device; returns the summary dict. ``checkpoint``:
    where the weights came from, for the report (default ``model.checkpoint_path``)."""
    settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    index = datamodule.video_index(settings.split)
    resize_mode = OmegaConf.select(cfg, "data.resize_mode", default="square")
    info = run_info_of(cfg)
    if checkpoint is not None:
        info["checkpoint"] = checkpoint
    return evaluate_index(model, index, settings, output_dir, info, resize_mode=resize_mode)


def evaluate_index(model: torch.nn.Module, index: VideoIndex, settings: EvalSettings, output_dir: str | Path,
                   run_info: Optional[dict] = None, resize_mode: str = "square") -> dict:
    """Evaluate ``model`` on every video of ``index`` and write all outputs (see module doc)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)  # never leave a stale summary next to new outputs
    videos = index.videos[: settings.max_videos] if settings.max_videos else index.videos
    if not videos:
        raise ConfigError(f"{index.source}: split '{settings.split}' has no videos to evaluate")
    class_ids = class_ids_of(index)
    scorer = ThresholdScorer([settings.threshold], settings.non_overlap, settings.bound_th, class_ids)
    propagator, planner = make_propagator(model, settings), make_planner(settings, model, index)
    frames_csv = CsvStream(out / "metrics_per_frame.csv", FRAME_COLUMNS)
    masks = MaskDir(out / "masks") if settings.save_masks else None
    rle = CocoResultsStream(out / "results_coco.json") if settings.save_rle else None
    video_dir = VideoDir(out / "videos", settings.video_fps) if settings.save_video else None
    streams = [s for s in (frames_csv, masks, rle, video_dir) if s is not None]
    objects: list[ObjectAccumulator] = []
    endovis_total = EndoVisAccumulator(len(class_ids))
    endovis_video: dict[str, EndoVisAccumulator] = {}
    worst: list = []
    tie = itertools.count()
    n_frames, t0 = 0, time.perf_counter()
    try:
        for record in tqdm(videos, desc="eval videos", unit="video"):
            plan = planner.plan(record)
            gt = planner.gt(record, plan)
            geo = FrameGeometry(plan.height, plan.width, propagator.image_size, settings.geometry, resize_mode)
            acc = VideoAccumulator(plan, len(class_ids), 1, settings.skip_first_last)
            objects += acc.objects
            endovis_video[record.video_id] = acc.endovis
            values = palette_values(plan.track_ids) if plan.track_ids else []
            if masks is not None:
                masks.write_json(record.video_id, "objects.json", {"png_value_to_track_id": dict(zip(values, plan.track_ids))})
            preds = planner.predict(propagator, record, plan, gt, geo)
            video = video_dir.open(record.video_id) if video_dir is not None else None
            for pf in tqdm(preds, total=plan.num_frames, desc=record.video_id, unit="frame", leave=False):
                t = pf.frame
                gt_t = gt(t)
                q = np.zeros(gt_t.shape, dtype=np.uint8)  # (O, H, W)
                if pf.low_res is not None:
                    q[pf.active] = scorer.quantize(geo.logits(pf.low_res.to(propagator.device)))
                fs = scorer.score(q, gt_t, plan.category_ids)
                pred = q > 0  # (O, H, W) bool at the threshold
                flags = acc.add(t, fs)
                frame_scores = [(fs.j[i, 0] + fs.f[i, 0]) / 2 for i, ok in enumerate(flags) if ok]
                for i, (tid, scored) in enumerate(zip(plan.track_ids, flags)):
                    frames_csv.write({
                        "video_id": record.video_id, "frame": t, "frame_name": plan.frame_name(record, t),
                        "object_id": tid, "category_id": int(plan.category_ids[i]),
                        "category": index.categories.get(int(plan.category_ids[i]), str(plan.category_ids[i])),
                        "gt_area": int(fs.gt_area[i]), "pred_area": int(fs.pred_area[i, 0]), "J": fs.j[i, 0],
                        "F": fs.f[i, 0], "dice": fs.dice[i, 0], "iou": fs.iou[i, 0], "scored": int(scored),
                        "prompted": int(tid in pf.prompted)})
                    if rle is not None:
                        rle.write(pred[i], record.frames[t].image_id, int(plan.category_ids[i]), 1.0,
                                  {"video_id": record.video_id, "track_id": tid, "frame": t})
                labels = label_map(pred, values) if plan.track_ids else np.zeros(gt_t.shape[1:], np.uint8)
                if masks is not None:
                    masks.write(record.video_id, plan.frame_name(record, t), labels)
                if video is not None:
                    video.write_labels(record.load_image(t), labels)
                if frame_scores and settings.num_worst_frames > 0:
                    entry = (-float(np.mean(frame_scores)), next(tie), record.video_id, t, labels)
                    heapq.heappush(worst, entry)
                    if len(worst) > settings.num_worst_frames:
                        heapq.heappop(worst)
                n_frames += 1
            if video is not None:
                video.close()
            endovis_total.merge(acc.endovis)
        seconds = time.perf_counter() - t0
        for s in streams:
            s.commit()
    except BaseException:
        for s in streams:
            s.abort()
        raise
    summary = _summary(objects, endovis_total, endovis_video, index, class_ids, settings, run_info)
    summary["timing"] = {"frames": n_frames, "seconds": round(seconds, 3), "fps": round(n_frames / max(seconds, 1e-9), 3)}
    write_tables(out, summary_tables(summary), endovis_rows(summary))
    if settings.report:
        from sam2_video.eval.report import write_report

        worst_frames = sorted(((-s, v, t, lab) for s, _, v, t, lab in worst), key=lambda e: e[0])
        write_report(out, summary, index, worst_frames, videos=video_dir.names if video_dir is not None else None)
    write_json(out / "summary.json", jsonable(summary))
    o = summary["overall"]
    logger.info(f"{out}: J&F {o['JF']:.4f} (J {o['J']:.4f}, F {o['F']:.4f}) over {o['num_objects']} objects, "
                f"{n_frames} frames in {seconds:.1f} s")
    return summary


def _summary(objects, endovis_total, endovis_video, index, class_ids, settings, run_info) -> dict:
    cat_name = lambda c: index.categories.get(int(c), str(c))  # noqa: E731
    per_object = []
    for o in objects:
        r = at(o.result())
        per_object.append({"video_id": o.video_id, "object_id": o.object_id, "category_id": o.category_id,
                           "category": cat_name(o.category_id), "num_scored_frames": o.n, **r})
    overall = at(pool_objects([o.result() for o in objects])) if objects else {}
    ev = at(endovis_total.result())
    overall.update({"challenge_iou": ev["challenge_iou"], "endovis_iou": ev["iou"], "mciou": ev["mciou"],
                    "ternaus_dice": ev["dice"], "ternaus_jaccard": ev["jaccard"], "num_objects": len(objects),
                    "num_videos": len(endovis_video), "num_class_frames": endovis_total.frames})
    per_video = {}
    for vid, metrics in group_pool(objects, "video_id").items():
        per_video[vid] = at(metrics)
    for vid, acc in endovis_video.items():
        e = at(acc.result())
        per_video.setdefault(vid, {}).update({"challenge_iou": e["challenge_iou"], "endovis_iou": e["iou"],
                                              "mciou": e["mciou"],
                                              "num_objects": sum(o.video_id == vid for o in objects)})
    per_category = {}
    for cid, metrics in group_pool(objects, "category_id").items():
        per_category[cat_name(cid)] = {"category_id": int(cid), **at(metrics),
                                       "num_objects": sum(o.category_id == cid for o in objects)}
    class_iou = endovis_total.per_class_iou()[0]
    return {"overall": overall, "per_video": per_video, "per_category": per_category,
            "per_class_iou": {cat_name(c): float(v) for c, v in zip(class_ids, class_iou)},
            "per_object": per_object, "settings": asdict(settings), "run": run_info or {}}
