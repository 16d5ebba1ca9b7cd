"""``train(cfg)``: the whole training job, driven by the composed Hydra config."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.atomic import remove_stale_temps, write_json, write_text
from sam2_video.config import build
from sam2_video.model.checkpoint import load_into, save_official
from sam2_video.model.meta_config import apply_meta_config
from sam2_video.model.stored_config import adopt_stored_settings
from sam2_video.training.module import build_module
from sam2_video.training.run_setup import (build_callbacks, build_loggers, build_trainer, resolve_ckpt_path,
                                           setup_logging)
from sam2_video.validation import validate_train


def _metrics(trainer: L.Trainer, prefix: str = "val/") -> dict[str, float]:
    return {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(prefix)}


def _close_progress_bars(trainer: L.Trainer) -> None:
    bar = trainer.progress_bar_callback
    for name in ("_train_progress_bar", "_val_progress_bar", "_test_progress_bar", "_predict_progress_bar"):
        tqdm_bar = getattr(bar, name, None)
        if tqdm_bar is not None:
            tqdm_bar.close()


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train, validate, export and (optionally) evaluate; returns the metrics written to metrics.json.

    Everything that can refuse the run (config values, devices, data, model, checkpoint, trainer)
    is checked or built before the run folder gets its first file: a refused run writes nothing.
    """
    file_log = setup_logging(cfg.log_level)
    apply_meta_config(cfg)  # model.config_path=<Meta's YAML>: that network
    validate_train(cfg)
    out = Path(cfg.output_dir)
    adopt_stored_settings(cfg)  # model.checkpoint_path=<our .ckpt>: the settings it was trained with
    L.seed_everything(cfg.seed, workers=True)
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)

    datamodule = build(cfg.data)
    module = build_module(cfg)
    loggers = build_loggers(cfg)
    callbacks = build_callbacks(cfg, have_logger=bool(loggers))
    trainer = build_trainer(cfg, callbacks, loggers)
    ckpt_path = resolve_ckpt_path(cfg.ckpt_path, out, cfg)
    if int(os.environ.get("LOCAL_RANK", "0")) == 0:
        datamodule.prepare_data()  # synthetic data generated, datasets read and checked: a malformed
    datamodule.setup("fit")  # dataset is refused here, before the run folder gets a file

    out.mkdir(parents=True, exist_ok=True)  # the set-up holds: from here on the run writes
    remove_stale_temps(out)
    file_log.open(out / "train.log")
    write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

    result: dict[str, Any] = {"output_dir": str(out), "variant": cfg.model.variant}
    if cfg.get("validate_before_training") and ckpt_path is None:
        trainer.validate(module, datamodule=datamodule, verbose=False)
        result["before"] = _metrics(trainer)
        logger.info(f"Validation before training: {result['before']}")

    started = time.time()
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    except BaseException:
        _close_progress_bars(trainer)  # so the error line is not followed by a dangling bar
        raise
    result["train_seconds"] = round(time.time() - started, 1)
    result["global_step"] = int(trainer.global_step)
    result["final"] = _metrics(trainer)
    result["train_loss"] = float(trainer.callback_metrics.get("train/loss", float("nan")))
    if module.model.feature_cache is not None:
        result["feature_cache"] = module.model.feature_cache.stats()

    ckpt_cb = trainer.checkpoint_callback
    best = getattr(ckpt_cb, "best_model_path", "") or ""
    last = Path(cfg.callbacks.model_checkpoint.dirpath) / "last.ckpt"
    result["best_checkpoint"] = best or None
    result["last_checkpoint"] = str(last) if last.exists() else None
    if best:
        result["best"] = {cfg.callbacks.monitor: float(ckpt_cb.best_model_score)}
        load_into(module.model, best, cfg.model.variant)  # evaluate / export the best weights
    if trainer.is_global_zero:
        if cfg.export_official:
            result["official_weights"] = str(save_official(module.model, out / "checkpoints" / "model_official.pt"))
        if cfg.evaluate_after_training:
            from sam2_video.eval.evaluate import evaluate_model

            source = best or (str(last) if last.exists() else "final weights of this run (not saved)")
            summary = evaluate_model(cfg, module.model, datamodule, out / "eval", checkpoint=source)
            result["eval"] = summary.to_dict() if hasattr(summary, "to_dict") else summary
        write_json(out / "metrics.json", result)
        logger.info(f"Resolved config: {out / 'config.yaml'}")
        logger.info(f"Checkpoints:     {out / 'checkpoints'} (best: {best or 'none'})")
        logger.info(f"Metrics:         {out / 'metrics.json'}")
    return result


def validate_config(cfg: DictConfig) -> None:
    """The training checks of ``sam2_video.validation`` (kept for callers of the old name)."""
    validate_train(cfg, warn=False)
