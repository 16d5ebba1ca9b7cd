"""A stream run from the config tree: ``run_stream(cfg) -> summary`` (``python -m sam2_video.stream``).

- ``stream.source=data``: every video of ``cfg.data``'s ``stream.split`` is streamed, seeded from the
  ground truth like ``baseline_eval.py`` and scored with the evaluation's metrics (same protocol);
- ``stream.source=folder|video``: one stream from ``stream.path``, seeded from ``stream.prompts_file``
  or the prompt-free encoder; not scored.

Outputs (``output_dir``): frames.csv, masks/, videos/ (``stream.save_video``), difficult_frames.json
(``stream.difficult_frames``), and summary.json last, in the evaluation's shape (``overall`` holds the
metrics and ``ms_per_frame`` / ``fps``), so ``python -m sam2_video.results`` lists stream runs too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sam2_video.atomic import write_json
from sam2_video.metrics.aggregate import VideoAccumulator
from sam2_video.metrics.endovis_metrics import EndoVisAccumulator
from sam2_video.eval.evaluate import (_summary, class_ids_of, load_index, output_dir_of,
                                      prompt_spec_of, run_info_of)
from sam2_video.eval.prompting import EvalPromptFactory
from sam2_video.eval.runner import GtFrames, plan_video
from sam2_video.metrics.scoring import ThresholdScorer
from sam2_video.eval.settings import EvalSettings
from sam2_video.metrics.table_io import jsonable
from sam2_video.prompt import PromptSpec
from sam2_video.stream.difficult import DifficultFrames, compare_results
from sam2_video.stream.refiner import Refiner
from sam2_video.stream.runner import StreamRunner
from sam2_video.stream.seeds import GtSeeder, auto_seed, load_prompts_file
from sam2_video.stream.settings import StreamSettings
from sam2_video.stream.sources import FolderSource, RecordSource, VideoFileSource
from sam2_video.stream.timing import Timing
from sam2_video.stream.writer import StreamOutputs

_MEMORY = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": None}


def build_refiner(cfg: DictConfig, settings: StreamSettings, channels: int) -> Optional[Refiner]:
    """The refiner of ``stream.refiner_onnx`` / ``stream.refiner_checkpoint`` (None: no refiner)."""
    if settings.refiner_onnx:
        from sam2_video.stream.refiner import OnnxRefiner

        return OnnxRefiner(settings.refiner_onnx, channels)
    if settings.refiner_checkpoint:
        from sam2_video.stream.refiner_torch import load_torch_refiner

        return load_torch_refiner(cfg, settings.refiner_checkpoint, channels)
    return None


def run_stream(cfg: DictConfig) -> dict:
    """Run ``cfg.stream`` with ``cfg.model`` (see module doc); returns the summary dict."""
    settings = StreamSettings.from_config(OmegaConf.to_container(cfg.stream, resolve=True))
    eval_settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    out = output_dir_of(cfg)
    from sam2_video.model.builder import build_sam2_model

    torch.manual_seed(int(cfg.get("seed", 0)))
    device = eval_settings.torch_device() if settings.device == "auto" else torch.device(settings.device)
    model = build_sam2_model(cfg.model).to(device).eval()
    runner_kw = dict(memory_dtype=_MEMORY[settings.memory_dtype], autocast_dtype=eval_settings.autocast_dtype(device),
                     geometry=eval_settings.geometry,
                     resize_mode=OmegaConf.select(cfg, "data.resize_mode", default="square"))
    info = {**run_info_of(cfg), "task": "stream", "image_size": int(cfg.model.image_size)}
    if settings.source == "data":
        index = load_index(cfg, settings.split)
        return stream_index(model, index, settings, eval_settings, out, info, cfg=cfg, **runner_kw)
    source = FolderSource(settings.path) if settings.source == "folder" else VideoFileSource(settings.path)
    seeder = load_prompts_file(settings.prompts_file) if settings.seed == "prompts" else auto_seed
    channels = len(seeder(0)) or 1
    runner = StreamRunner(model, settings, build_refiner(cfg, settings, channels), **runner_kw)
    return stream_source(runner, source, seeder, out, info)


def stream_source(runner: StreamRunner, source, seeder, out_dir: str | Path, info: Optional[dict] = None) -> dict:
    """Stream one unscored source (folder, video file, camera iterator) into ``out_dir``."""
    s, out = runner.settings, Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    outputs = StreamOutputs(out, s.save_masks, s.save_video, s.video_fps)
    timing = Timing()
    name = getattr(source, "name", "stream")
    try:
        outputs.begin(name)
        try:
            for frame in tqdm(runner.frames(source, seeder), desc=name, unit="frame", disable=not s.progress):
                timing.add(name, frame)
                outputs.write(frame)
        except KeyboardInterrupt:  # a live stream stopped by the user: keep what was streamed
            logger.warning(f"{name}: stopped by the user after {timing.frames.get(name, 0)} frames; outputs kept")
        outputs.end()
        outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    timing.check_length(name, s.expected_frames)
    summary = {"overall": timing.overall(), "timing": timing.summary(), "settings": jsonable(vars(s)),
               "run": info or {}}
    write_json(out / "summary.json", jsonable(summary))
    logger.info(f"{out}: {timing.line()}")
    return summary


def stream_index(model: torch.nn.Module, index, settings: StreamSettings, eval_settings: EvalSettings,
                 out_dir: str | Path, info: Optional[dict] = None, cfg: Optional[DictConfig] = None,
                 refiner: Optional[Refiner] = None, **runner_kw: Any) -> dict:
    """Stream every video of ``index`` seeded from its GT; scored like the full-video evaluation."""
    s, out = settings, Path(out_dir)
    difficult = DifficultFrames.load(s.difficult_frames) if s.difficult_frames else None
    videos = index.videos[: s.max_videos] if s.max_videos else index.videos
    if difficult is not None:
        videos = difficult.select(videos)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    class_ids = class_ids_of(index)
    factory = EvalPromptFactory(prompt_spec_of(cfg) if cfg is not None else PromptSpec())  # the evaluation's prompts
    scorer = ThresholdScorer([s.threshold], s.non_overlap, eval_settings.bound_th, class_ids)
    outputs = StreamOutputs(out, s.save_masks, s.save_video, s.video_fps)
    objects, endovis_total, endovis_video, pairs = [], EndoVisAccumulator(len(class_ids)), {}, []
    timing = Timing()
    t_start = time.perf_counter()
    try:
        for record in videos:
            plan = plan_video(record, 0)
            gt = GtFrames(record, plan.track_ids)
            runner = StreamRunner(model, s, refiner if refiner is not None else
                                  (build_refiner(cfg, s, len(plan.track_ids)) if cfg is not None else None),
                                  **runner_kw)
            acc = VideoAccumulator(plan, len(class_ids), 1, eval_settings.skip_first_last)
            objects += acc.objects
            endovis_video[record.video_id] = acc.endovis
            wanted = difficult.frames_of(record.video_id) if difficult is not None else None
            outputs.begin(record.video_id, plan.track_ids)
            source = RecordSource(record)
            frames = runner.frames(source, GtSeeder(plan, gt, factory), plan.num_frames)
            for frame in tqdm(frames, total=plan.num_frames, desc=record.video_id, unit="frame",
                              disable=not s.progress, leave=False):
                timing.add(record.video_id, frame)
                scores = None
                if frame.error is None and (wanted is None or frame.index in wanted):
                    q = np.zeros((len(plan.track_ids), *frame.image.shape[:2]), np.uint8)  # (O, H, W)
                    rows = [plan.track_ids.index(o) for o in frame.object_ids]
                    if rows:
                        q[rows] = frame.masks
                    fs = scorer.score(q, gt(frame.index), plan.category_ids)
                    flags = acc.add(frame.index, fs)
                    scores = {tid: {"J": fs.j[i, 0], "F": fs.f[i, 0], "dice": fs.dice[i, 0], "iou": fs.iou[i, 0],
                                    "scored": int(flags[i])} for i, tid in enumerate(plan.track_ids)}
                    if wanted is not None:
                        pairs += difficult.pair_rows(record.video_id, frame.index, scores)
                outputs.write(frame, scores)
                if wanted is not None and frame.index >= max(wanted, default=-1):
                    break  # the rest of the video is not needed for the listed frames
            outputs.end()
            if wanted is None:  # stream.max_frames cuts every stream on purpose: not an early end
                timing.check_length(record.video_id, min(plan.num_frames, s.max_frames or plan.num_frames))
            endovis_total.merge(acc.endovis)
        outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    summary = _summary(objects, endovis_total, endovis_video, index, class_ids, s, {**(info or {}), "task": "stream"})
    summary["overall"].update(timing.overall())
    summary["timing"] = {**timing.summary(), "wall_seconds": round(time.perf_counter() - t_start, 3)}
    summary["eval_settings"] = jsonable(vars(eval_settings))
    if difficult is not None:
        result = difficult.result(pairs)
        if s.compare_to:
            result["comparison"] = compare_results(result, s.compare_to, s.regression_tol)
        summary["difficult_frames"] = {k: v for k, v in result.items() if k != "pairs"}
        write_json(out / "difficult_frames.json", jsonable(result))
    write_json(out / "summary.json", jsonable(summary))
    o = summary["overall"]
    logger.info(f"{out}: J&F {o.get('JF', float('nan')):.4f}, Dice {o.get('dice', float('nan')):.4f}; {timing.line()}")
    return summary
