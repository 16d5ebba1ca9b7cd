"""``predict(cfg)``: masks for unlabeled videos (predict.py).

Outputs in ``output_dir``: ``masks/<video>/<frame>.png`` (DAVIS palettised PNGs, value = object id;
prompt-free: the category id), ``results_coco.json`` (COCO RLE, ``predict.save_rle``),
``videos/<video>.mp4`` (overlay, ``predict.save_video``) and ``summary.json`` (written last). All
staged: a failed run leaves none of them.
"""

from __future__ import annotations

import time
from typing import Iterator

import numpy as np
from loguru import logger
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sam2_video.atomic import write_json
from sam2_video.autoprompt.planner import AutoPromptSchedule, predict_auto_video
from sam2_video.errors import ConfigError
from sam2_video.eval.evaluate import build_model, make_propagator, output_dir_of
from sam2_video.eval.runner import PredFrame
from sam2_video.metrics.scoring import ThresholdScorer
from sam2_video.eval.settings import EvalSettings
from sam2_video.pipeline.sinks.staged import CocoResultsStream, MaskDir, VideoDir, label_map, palette_values
from sam2_video.inference.geometry import FrameGeometry
from sam2_video.inference.propagate import VideoPropagator, static_prompts
from sam2_video.predict.inputs import UnlabeledVideo, open_video, read_prompts


def _prompted(propagator: VideoPropagator, video: UnlabeledVideo, prompts: dict, geo: FrameGeometry,
              ids: list[int]) -> Iterator[PredFrame]:
    schedule, prompts_at = static_prompts(prompts)
    index = {o: i for i, o in enumerate(ids)}
    for out in propagator.propagate(video.num_frames, video.load, schedule, prompts_at, geo):
        active = np.zeros(len(ids), dtype=bool)
        low = out.low_res_logits
        if out.object_ids:
            order = [index[o] for o in out.object_ids]
            active[order] = True
            low = low[np.argsort(order)] if order != sorted(order) else low
        yield PredFrame(out.frame, low, active, out.prompted)


def predict(cfg: DictConfig) -> dict:
    """Predict every frame of ``predict.input`` (see module doc); returns the summary."""
    node = cfg.predict
    if not node.get("input"):
        raise ConfigError("predict.input is not set; pass predict.input=/path/to/frames_dir_or_video.mp4")
    settings = EvalSettings.from_config(OmegaConf.to_container(cfg.eval, resolve=True))
    out_dir = output_dir_of(cfg)
    video = open_video(node.input)
    prompts = read_prompts(node.prompts, video) if node.get("prompts") else None
    model = build_model(cfg, settings)
    if prompts is None:
        encoder = getattr(model, "auto_prompt", None)
        if encoder is None:
            raise ConfigError("predict.py without predict.prompts is prompt-free: set model.auto_prompt.enabled=true "
                              "with a model trained by experiment=autosam2, or pass predict.prompts=prompts.json")
        ids = encoder.category_ids.tolist()
        schedule = AutoPromptSchedule.from_config(settings.auto_prompt)
    else:
        ids = sorted({o for objs in prompts.values() for o in objs})
    propagator = make_propagator(model, settings)
    geo = FrameGeometry(video.height, video.width, propagator.image_size, settings.geometry,
                        OmegaConf.select(cfg, "data.resize_mode", default="square"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    masks = MaskDir(out_dir / "masks")
    rle = CocoResultsStream(out_dir / "results_coco.json") if node.save_rle else None
    videos = VideoDir(out_dir / "videos", float(node.fps)) if node.save_video else None
    streams = [s for s in (masks, rle, videos) if s is not None]
    values = palette_values(ids)
    scorer = ThresholdScorer([settings.threshold], settings.non_overlap, settings.bound_th, ids)
    areas = np.zeros(len(ids), dtype=np.int64)
    t0 = time.perf_counter()
    try:
        preds = (predict_auto_video(propagator, video.num_frames, video.load, ids, schedule, geo) if prompts is None
                 else _prompted(propagator, video, prompts, geo, ids))
        writer = videos.open(video.video_id) if videos is not None else None
        for pf in tqdm(preds, total=video.num_frames, desc=video.video_id, unit="frame"):
            pred = np.zeros((len(ids), video.height, video.width), dtype=bool)
            if pf.low_res is not None:  # the evaluation's threshold + non-overlap rule
                pred[pf.active] = scorer.quantize(geo.logits(pf.low_res.to(propagator.device))) > 0
            areas += pred.reshape(len(ids), -1).sum(1)
            labels = label_map(pred, values)
            masks.write(video.video_id, video.frame_names[pf.frame], labels)
            if rle is not None:
                for i, oid in enumerate(ids):
                    if pred[i].any():
                        rle.write(pred[i], f"{video.video_id}/{video.frame_names[pf.frame]}", int(oid), 1.0,
                                  {"video_id": video.video_id, "track_id": int(oid), "frame": pf.frame})
            if writer is not None:
                writer.write_labels(video.load(pf.frame), labels)
        if writer is not None:
            writer.close()
        seconds = time.perf_counter() - t0
        for s in streams:
            s.commit()
    except BaseException:
        for s in streams:
            s.abort()
        raise
    summary = {"input": str(node.input), "video_id": video.video_id, "frames": video.num_frames,
               "mode": "auto" if prompts is None else "prompts", "object_ids": ids,
               "png_value_to_object_id": dict(zip(values, ids)), "pixels_per_object": dict(zip(ids, areas.tolist())),
               "seconds": round(seconds, 3), "fps": round(video.num_frames / max(seconds, 1e-9), 3),
               "checkpoint": OmegaConf.select(cfg, "model.checkpoint_path")}
    write_json(out_dir / "summary.json", summary)
    logger.info(f"{video.num_frames} frames, objects {ids} -> {out_dir} ({summary['fps']} frames/s)")
    return summary
