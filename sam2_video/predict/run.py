"""``predict(cfg)``: masks for unlabeled videos (predict.py), an assembly of the pipeline.

Source: ``predict.input`` (a folder of frames in natural order, or a video file decoded lazily: memory
does not grow with the video's length). Prompts: ``predict.prompts`` (the one prompts-file format,
``sam2_video.pipeline.prompts_file``; coordinates checked against the frame size before anything is
written) or, without it, the model's learned prompt encoder (every category). Chain: ``predict.chain``
(``sam2``: SAM2 alone, the evaluation's default; ``deployed``: the stream's chain, ``stream.*``).
Outputs in ``output_dir``: ``masks/<video>/<frame>.png`` (DAVIS palettised PNGs, value = object id),
``results_coco.json`` (``predict.save_rle``), ``videos/<video>.mp4`` (``predict.save_video``),
``prompts/<video>.json`` (the prompts used) and ``summary.json`` (written last). All staged: a failed
run leaves none of them.
"""

from __future__ import annotations

from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.atomic import write_json
from sam2_video.errors import ConfigError
from sam2_video.metrics.table_io import jsonable
from sam2_video.pipeline.assemble import build_chain, build_model, chain_settings, output_dir_of, settings_of
from sam2_video.pipeline.jobs import source_job
from sam2_video.pipeline.planners.auto import AutoPrompts, AutoPromptSchedule, encoder_categories
from sam2_video.pipeline.planners.file import FilePrompts
from sam2_video.pipeline.prompts_file import read_prompts_file
from sam2_video.pipeline.run import run_videos
from sam2_video.pipeline.sinks.eval_sinks import CocoRle, MaskPngs, OverlayVideos
from sam2_video.pipeline.sinks.prompts_sink import PromptsFiles
from sam2_video.pipeline.source import open_source
from sam2_video.predict.settings import PredictSettings


def predict(cfg: DictConfig) -> dict:
    """Predict every frame of ``predict.input`` (see module doc); returns the summary."""
    node = PredictSettings.from_config(OmegaConf.to_container(cfg.predict, resolve=True))
    settings = settings_of(cfg)
    out_dir = output_dir_of(cfg)
    source = open_source(node.input, "predict.input")
    prompts = read_prompts_file(node.prompts, "predict.prompts") if node.prompts else None
    if prompts is not None:
        prompts.check_frame_size(*source.size, where=f"predict.input={node.input}")
        if source.num_frames:
            prompts.check_frames(source.num_frames)
    model = build_model(cfg, settings)
    if prompts is None:
        ids = encoder_categories(model, "predict.py without predict.prompts is prompt-free: set model.auto_prompt."
                                 "enabled=true with a model trained by experiment=autosam2, or pass "
                                 "predict.prompts=prompts.json")
        planner = AutoPrompts(ids, AutoPromptSchedule.from_config(settings.auto_prompt), source.num_frames or None)
        first = {o: 0 for o in ids}
    else:
        planner = FilePrompts(prompts)
        ids, first = prompts.object_ids, planner.first_frames
        if any(p.kind == "auto" for objs in prompts.frames.values() for p in objs.values()) \
                and getattr(model, "auto_prompt", None) is None:
            raise ConfigError(f"predict.prompts={node.prompts}: has auto prompts; the model has no learned prompt "
                              "encoder (model.auto_prompt.enabled=true with a model trained by experiment=autosam2)")
    # no dataset here: a refiner's class c is category id c (the ids of its training masks)
    chain = build_chain(cfg, model, chain_settings(cfg, node.chain == "deployed"), settings)
    job = source_job(source, planner, ids, planner.categories, first)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    sinks = [MaskPngs(out_dir / "masks"), PromptsFiles(out_dir / "prompts")]
    sinks += [CocoRle(out_dir / "results_coco.json")] if node.save_rle else []
    sinks += [OverlayVideos(out_dir / "videos", float(node.fps))] if node.save_video else []
    res = run_videos(chain, [job], sinks, progress=True)
    summary = {"input": str(node.input), "video_id": source.name, "frames": res.frames,
               "mode": "auto" if prompts is None else "prompts", "chain": node.chain, "object_ids": ids,
               "categories": {str(k): v for k, v in planner.categories.items()},
               "seconds": round(res.seconds, 3), "fps": round(res.frames / max(res.seconds, 1e-9), 3),
               "checkpoint": OmegaConf.select(cfg, "model.checkpoint_path")}
    write_json(out_dir / "summary.json", jsonable(summary))
    logger.info(f"{res.frames} frames, objects {ids} -> {out_dir} ({summary['fps']} frames/s)")
    return summary
