"""``run_stream(cfg) -> summary`` (``python -m sam2_video.stream``): the pipeline with the deployed chain
(``stream.*``). ``stream.source=data``: the ``stream.split`` videos, planned and scored like
``baseline_eval.py``; ``folder|video``: ``stream.path`` prompted from ``stream.prompts_file`` or, with
``stream.seed=auto``, every category of the learned encoder. Outputs: frames.csv, masks/, videos/,
prompts/, difficult_frames.json, summary.json last (the evaluation's shape + ``ms_per_frame``); docs/streaming.md.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.atomic import write_json
from sam2_video.metrics.summary import EvalSummary
from sam2_video.metrics.table_io import jsonable
from sam2_video.pipeline.assemble import (build_chain, build_model, class_ids_of, load_index, make_planner,
                                          output_dir_of, prompt_spec_of, run_info_of, settings_of)
from sam2_video.pipeline.chain import Chain
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.pipeline.jobs import index_jobs, select_videos, source_job
from sam2_video.pipeline.planners.auto import AutoPrompts, AutoPromptSchedule, encoder_categories
from sam2_video.pipeline.planners.file import FilePrompts
from sam2_video.pipeline.prompts_file import read_prompts_file
from sam2_video.pipeline.run import Sink, run_videos
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.sinks.eval_sinks import MaskPngs, OverlayVideos
from sam2_video.pipeline.sinks.prompts_sink import PromptsFiles
from sam2_video.pipeline.sinks.stream_csv import StreamFramesCsv
from sam2_video.pipeline.source import FrameSource, open_source
from sam2_video.pipeline.timing import Timing
from sam2_video.prompt import PromptSpec
from sam2_video.stream.difficult import DifficultFrames, compare_results


def run_stream(cfg: DictConfig) -> dict:
    """Run ``cfg.stream`` with ``cfg.model`` (see module doc); returns the summary dict."""
    settings = StreamSettings.from_config(OmegaConf.to_container(cfg.stream, resolve=True))
    eval_settings = settings_of(cfg)
    out = output_dir_of(cfg)
    device = eval_settings.torch_device() if settings.device == "auto" else torch.device(settings.device)
    model = build_model(cfg, eval_settings, device)
    info = {**run_info_of(cfg), "task": "stream", "image_size": int(cfg.model.image_size)}
    if settings.source == "data":
        index = load_index(cfg, settings.split)
        chain = build_chain(cfg, model, settings, eval_settings, index.categories, encode_batch=1, qa=True)
        return stream_index(chain, index, eval_settings, out, info, prompt_spec_of(cfg))
    source = open_source(settings.path, "stream.path")
    if settings.seed == "prompts":
        pf = read_prompts_file(settings.prompts_file, "stream.prompts_file")
        pf.check_frame_size(*source.size, where=f"stream.path={settings.path}")
        planner = FilePrompts(pf)
        ids, first = pf.object_ids, planner.first_frames
    else:
        ids = encoder_categories(model, "stream.seed=auto needs a learned prompt encoder: model.auto_prompt.enabled="
                                 "true with a model trained by experiment=autosam2 (or pass stream.seed=prompts)")
        planner = AutoPrompts(ids, AutoPromptSchedule.from_config(eval_settings.auto_prompt), source.num_frames or None)
        first = {o: 0 for o in ids}
    chain = build_chain(cfg, model, settings, eval_settings, encode_batch=1, qa=True)  # refiner class = category id
    return stream_source(chain, source, planner, ids, first, out, info)


def _sinks(out: Path, s: StreamSettings, timing: Timing) -> list:
    sinks = [StreamFramesCsv(out / "frames.csv"), PromptsFiles(out / "prompts"), timing]
    sinks += [MaskPngs(out / "masks")] if s.save_masks else []
    sinks += [OverlayVideos(out / "videos", s.video_fps)] if s.save_video else []
    return sinks


def stream_source(chain: Chain, source: FrameSource, planner, object_ids, first_frames, out_dir: str | Path,
                  info: Optional[dict] = None) -> dict:
    """Stream one unscored source (folder, video file, camera iterator) into ``out_dir``; Ctrl-C ends a
    live stream and keeps what was streamed."""
    s, out = chain.settings, Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    timing = Timing()
    job = source_job(source, planner, object_ids, getattr(planner, "categories", {}), first_frames)
    res = run_videos(chain, [job], _sinks(out, s, timing), progress=s.progress, keep_on_interrupt=True)
    if res.interrupted:  # a live stream stopped by the user (Ctrl-C): what was streamed is kept
        logger.warning(f"{source.name}: stopped by the user after {timing.frames.get(source.name, 0)} frames; "
                       "outputs kept")
    timing.check_length(source.name, s.expected_frames)
    summary = {"overall": timing.overall(), "timing": timing.summary(), "settings": jsonable(vars(s)),
               "run": info or {}}
    write_json(out / "summary.json", jsonable(summary))
    logger.info(f"{out}: {timing.line()}")
    return summary


def stream_index(chain: Chain, index, eval_settings: EvalSettings, out_dir: str | Path, info: Optional[dict] = None,
                 prompt: Optional[PromptSpec] = None) -> dict:
    """Stream every video of ``index``, planned and scored like the full-video evaluation."""
    s, out = chain.settings, Path(out_dir)
    difficult = DifficultFrames.load(s.difficult_frames) if s.difficult_frames else None
    videos = select_videos(index, s.max_videos, s.split)
    if difficult is not None:
        videos = difficult.select(videos)
    planner = make_planner(eval_settings, chain.model, index, prompt)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").unlink(missing_ok=True)
    timing = Timing()
    jobs = list(index_jobs(videos, planner, strict=False))  # the deployed stream skips a bad frame
    for job in jobs:
        job.only_frames = difficult.frames_of(job.video_id) if difficult is not None else None
    pairs = _PairRows(difficult) if difficult is not None else None
    t_start = time.perf_counter()
    res = run_videos(chain, jobs, _sinks(out, s, timing) + ([pairs] if pairs else []), dict(index.categories),
                     class_ids_of(index), eval_settings.bound_th, eval_settings.skip_first_last, s.progress)
    for job in jobs:
        if difficult is None:  # stream.max_frames cuts every stream on purpose: not an early end
            n = job.plan.num_frames
            timing.check_length(job.video_id, min(n, s.max_frames or n))
    summary = EvalSummary.build(res.objects, res.endovis, res.endovis_per_video, index.categories, res.class_ids,
                                s, {**(info or {}), "task": "stream"}, prompt=prompt).to_dict()
    summary["overall"].update(timing.overall())
    summary["timing"] = {**timing.summary(), "wall_seconds": round(time.perf_counter() - t_start, 3)}
    summary["eval_settings"] = jsonable(vars(eval_settings))
    if difficult is not None:
        result = difficult.result(pairs.rows)
        if s.compare_to:
            result["comparison"] = compare_results(result, s.compare_to, s.regression_tol)
        summary["difficult_frames"] = {k: v for k, v in result.items() if k != "pairs"}
        write_json(out / "difficult_frames.json", jsonable(result))
    write_json(out / "summary.json", jsonable(summary))
    o = summary["overall"]
    logger.info(f"{out}: J&F {o.get('JF', float('nan')):.4f}, Dice {o.get('dice', float('nan')):.4f}; {timing.line()}")
    return summary


class _PairRows(Sink):
    """Collects the scores of the listed (video, frame) pairs (``stream.difficult_frames``)."""

    def __init__(self, difficult: DifficultFrames) -> None:
        self.difficult, self.rows = difficult, []

    def frame(self, r) -> None:
        if r.scores is None:
            return
        scores = {tid: {"J": r.scores.j[i, 0], "F": r.scores.f[i, 0], "dice": r.scores.dice[i, 0],
                        "iou": r.scores.iou[i, 0], "scored": int(r.scored[i])}
                  for i, tid in enumerate(r.video.plan.track_ids)}
        self.rows += self.difficult.pair_rows(r.video.video_id, r.frame, scores)
