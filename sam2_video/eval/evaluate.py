"""``evaluate(cfg) -> EvalSummary`` (baseline_eval.py): the pipeline over the ``eval.split`` videos with
the planner of ``prompt.kind`` and the chain of ``eval.chain`` (``sam2``: SAM2 alone = Meta's predictor;
``deployed``: the stream's ``stream.*`` chain). Sinks (docs/eval.md): metrics_per_frame.csv, masks/,
results_coco.json, videos/, prompts/ (replayable by predict.py / the stream); then the metric tables,
report.md and summary.json, written last: a failed run leaves no summary.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from loguru import logger
from omegaconf import DictConfig

from sam2_video.data.index import VideoIndex
from sam2_video.pipeline.assemble import (build_chain, build_model, chain_settings, class_ids_of, load_index,
                                          make_planner, output_dir_of, plain_chain_settings, prompt_spec_of,
                                          run_info_of, settings_of)
from sam2_video.pipeline.eval_settings import EvalSettings
from sam2_video.pipeline.jobs import index_jobs, select_videos
from sam2_video.pipeline.run import run_videos
from sam2_video.pipeline.settings import StreamSettings
from sam2_video.pipeline.sinks.eval_sinks import standard_outputs
from sam2_video.metrics.summary import SUMMARY_FILE, EvalSummary
from sam2_video.metrics.tables import endovis_rows, summary_tables, write_tables
from sam2_video.prompt import PromptSpec


def evaluate(cfg: DictConfig) -> EvalSummary:
    """Evaluate ``cfg.model`` on ``cfg.data`` split ``cfg.eval.split``; returns the summary."""
    settings = settings_of(cfg)
    out_dir = output_dir_of(cfg)
    model = build_model(cfg, settings)  # adopts the checkpoint's stored settings (prompt-free: prompt.kind=auto)
    index = load_index(cfg, settings.split)
    chain = chain_settings(cfg, settings.chain == "deployed")
    return evaluate_index(model, index, settings, out_dir, run_info_of(cfg), prompt=prompt_spec_of(cfg), cfg=cfg,
                          chain=chain)


def evaluate_model(cfg: DictConfig, model: torch.nn.Module, datamodule: Any, output_dir: str | Path,
                   checkpoint: str | None = None) -> dict:
    """Evaluate an in-memory ``model`` (e.g. the best weights after training) on ``datamodule``'s
    ``eval.split`` videos, on the model's current device; returns the summary as a plain dict (what
    training embeds in metrics.json). ``checkpoint``: where the weights came from, for the report
    (default ``model.checkpoint_path``)."""
    settings = settings_of(cfg)
    info = run_info_of(cfg)
    if checkpoint is not None:
        info["checkpoint"] = checkpoint
    return evaluate_index(model, datamodule.video_index(settings.split), settings, output_dir, info,
                          prompt=prompt_spec_of(cfg), cfg=cfg).to_dict()


def evaluate_index(model: torch.nn.Module, index: VideoIndex, settings: EvalSettings, output_dir: str | Path,
                   run_info: Optional[dict] = None, prompt: Optional[PromptSpec] = None,
                   cfg: Optional[DictConfig] = None, chain: Optional[StreamSettings] = None,
                   resize_mode: Optional[str] = None) -> EvalSummary:
    """Evaluate ``model`` on every video of ``index`` and write all outputs (see module doc); ``prompt``:
    the run's prompt specification (default :class:`PromptSpec`: mask prompts); ``chain``: the chain
    settings (default: the plain evaluation chain)."""
    out = Path(output_dir)
    prompt = prompt if prompt is not None else PromptSpec()
    chain = chain if chain is not None else plain_chain_settings(settings)
    planner = make_planner(settings, model, index, prompt)  # refuses a kind the model cannot run, before writing
    videos = select_videos(index, settings.max_videos, settings.split)
    pipeline = build_chain(cfg if cfg is not None else DictConfig({}), model, chain, settings, index.categories,
                           resize_mode=resize_mode)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_FILE).unlink(missing_ok=True)  # never leave a stale summary next to new outputs
    outputs = standard_outputs(out, settings.save_masks, settings.save_rle, settings.save_video, settings.video_fps,
                               settings.num_worst_frames, settings.save_prompts)
    res = run_videos(pipeline, index_jobs(videos, planner), [o for o in outputs.values() if o is not None],
                     dict(index.categories), class_ids_of(index), settings.bound_th, settings.skip_first_last)
    summary = EvalSummary.build(res.objects, res.endovis, res.endovis_per_video, index.categories, res.class_ids,
                                settings, {**(run_info or {}), "chain": settings.chain}, prompt=prompt)
    summary.timing = {"frames": res.frames, "seconds": round(res.seconds, 3),
                      "fps": round(res.frames / max(res.seconds, 1e-9), 3)}
    write_tables(out, summary_tables(summary), endovis_rows(summary))
    if settings.report:
        from sam2_video.eval.report import write_report

        worst = outputs["worst"].worst() if outputs["worst"] is not None else []
        videos = outputs["videos"].names if outputs["videos"] is not None else None
        write_report(out, summary, index, worst, videos=videos)
    summary.write(out)
    o = summary.overall
    logger.info(f"{out}: J&F {o['JF']:.4f} (J {o['J']:.4f}, F {o['F']:.4f}) over {o['num_objects']} objects, "
                f"{res.frames} frames in {res.seconds:.1f} s")
    return summary
