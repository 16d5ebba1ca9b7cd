"""Full-video evaluation: ``evaluate(cfg) -> EvalSummary`` (what baseline_eval.py runs).

One pass of the evaluation loop (``sam2_video.eval.loop``) at ``eval.threshold`` with these outputs
in ``output_dir`` (docs/eval.md): metrics_per_frame.csv, masks/<video>/<frame>.png (DAVIS layout,
``eval.save_masks``), results_coco.json (``eval.save_rle``), videos/<video>.mp4 (``eval.save_video``);
then metrics_per_object.csv, metrics_per_video.csv, metrics_per_category.csv, endovis_per_class.csv,
report.md + report/ (``eval.report``), and summary.json, written last: a failed run leaves no summary.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from loguru import logger
from omegaconf import DictConfig

from sam2_video.data.index import VideoIndex
from sam2_video.eval.loop import run_loop
from sam2_video.eval.outputs import FRAME_COLUMNS, standard_outputs  # noqa: F401  (FRAME_COLUMNS re-exported)
from sam2_video.eval.settings import EvalSettings
from sam2_video.eval.setup import (build_model, class_ids_of, load_index, make_planner,  # noqa: F401
                                   make_propagator, output_dir_of, prompt_spec_of, resize_mode_of, run_info_of,
                                   settings_of)
from sam2_video.metrics.summary import SUMMARY_FILE, EvalSummary
from sam2_video.metrics.tables import endovis_rows, summary_tables, write_tables
from sam2_video.prompt import PromptSpec


def evaluate(cfg: DictConfig) -> EvalSummary:
    """Evaluate ``cfg.model`` on ``cfg.data`` split ``cfg.eval.split``; returns the summary."""
    settings = settings_of(cfg)
    out_dir = output_dir_of(cfg)
    index = load_index(cfg, settings.split)
    model = build_model(cfg, settings)
    return evaluate_index(model, index, settings, out_dir, run_info_of(cfg), resize_mode=resize_mode_of(cfg),
                          prompt=prompt_spec_of(cfg))


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
                          resize_mode=resize_mode_of(cfg), prompt=prompt_spec_of(cfg)).to_dict()


def evaluate_index(model: torch.nn.Module, index: VideoIndex, settings: EvalSettings, output_dir: str | Path,
                   run_info: Optional[dict] = None, resize_mode: str = "square",
                   prompt: Optional[PromptSpec] = None) -> EvalSummary:
    """Evaluate ``model`` on every video of ``index`` and write all outputs (see module doc); ``prompt``:
    the run's prompt specification (default :class:`PromptSpec`: mask prompts)."""
    out = Path(output_dir)
    prompt = prompt if prompt is not None else PromptSpec()
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_FILE).unlink(missing_ok=True)  # never leave a stale summary next to new outputs
    outputs = standard_outputs(out, settings.save_masks, settings.save_rle, settings.save_video, settings.video_fps,
                               settings.num_worst_frames)
    res = run_loop(make_propagator(model, settings), make_planner(settings, model, index, prompt), index, settings,
                   [settings.threshold], [o for o in outputs.values() if o is not None], resize_mode)
    summary = EvalSummary.build(res.objects, res.endovis, res.endovis_per_video, index.categories, res.class_ids,
                                settings, run_info, prompt=prompt)
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


def _summary(objects, endovis_total, endovis_video, index, class_ids, settings, run_info) -> dict:
    """The summary dict of accumulators (kept for ``sam2_video.stream``; prefer :class:`EvalSummary`)."""
    return EvalSummary.build(objects, endovis_total, endovis_video, index.categories, class_ids, settings,
                             run_info).to_dict()
