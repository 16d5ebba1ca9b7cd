"""``train_refiner(cfg)``: data (index, prompts, priors; resumable) -> Lightning training -> prior vs
refined validation of the best checkpoint -> ONNX export + onnxruntime parity + latency.

    python train_refiner.py experiment=refiner_demo            # synthetic data, a few CPU minutes

Outputs in ``output_dir``: ``config.yaml``, ``checkpoints/{best,last}.ckpt``, ``val_vis/``,
``refiner.onnx``, ``metrics.json`` (data summary, prior / refined metrics, export check), ``train.log``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import lightning as L
import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf

from sam2_video.atomic import write_json, write_text
from sam2_video.config import build
from sam2_video.errors import ConfigError
from sam2_video.model.checkpoint import read_state_dict
from sam2_video.refiner.dataset import RefinerDataModule
from sam2_video.refiner.export import check_parity, export_onnx, latency, ort_session
from sam2_video.refiner.index import read_index
from sam2_video.refiner.make_data import make_data, refiner_cfg
from sam2_video.refiner.model import count_parameters
from sam2_video.refiner.module import RefinerModule
from sam2_video.training.run_setup import build_loggers, setup_logging
from sam2_video.validation.checks import check_types


def build_refiner_module(cfg: DictConfig, num_classes: int, class_names: dict[int, str], vis_dir: Path | None
                         ) -> RefinerModule:
    rc = cfg.refiner
    net = build(rc.net, num_classes=num_classes)
    return RefinerModule(net=net, loss=build(rc.loss), optimizer=build(rc.optim.optimizer),
                         scheduler=build(rc.optim.scheduler), lr=rc.optim.lr, weight_decay=rc.optim.weight_decay,
                         class_names=class_names, bound_th=rc.metrics.bound_th, vis_dir=vis_dir,
                         vis_count=rc.metrics.vis_count)


def build_datamodule(cfg: DictConfig) -> RefinerDataModule:
    rc = cfg.refiner
    return build(rc.datamodule, work_dir=rc.work_dir, resolution=list(rc.resolution),
                 absent_logit=rc.prior.absent_logit, seed=cfg.seed, temporal_pairs=float(rc.loss.temporal) > 0)


def callbacks(cfg: DictConfig, have_logger: bool) -> list:
    """The generic ``cfg.callbacks`` nodes: best / last checkpoint and early stopping on
    ``callbacks.monitor``, LR monitor (with a logger); the SAM2-specific ones (clip pictures) are not used."""
    names = ("model_checkpoint", "early_stopping") + (("lr_monitor",) if have_logger else ())
    return [build(cfg.callbacks[n]) for n in names if cfg.callbacks.get(n) is not None]


def comparison_lines(metrics: dict[str, float]) -> list[str]:
    """'metric  prior  refined' table lines from ``val/{prior,refined}_<metric>`` entries."""
    names = sorted({k.split("_", 1)[1] for k in metrics if k.startswith("val/prior_")}, key=lambda n: ("/" in n, n))
    lines = [f"{'metric':<24}{'prior':>9}{'refined':>9}"]
    lines += [f"{n:<24}{metrics[f'val/prior_{n}']:>9.4f}{metrics.get(f'val/refined_{n}', float('nan')):>9.4f}"
              for n in names]
    return lines


def train_refiner(cfg: DictConfig) -> dict[str, Any]:
    """The whole job (see the module docstring); returns what metrics.json holds."""
    rc = refiner_cfg(cfg)
    check_types(cfg)  # the shared groups (trainer, callbacks, ...) get the project's checks, before any write
    if cfg.callbacks.monitor.split("/")[-1].split("_")[0] not in ("refined", "loss"):
        raise ConfigError(f"callbacks.monitor={cfg.callbacks.monitor}: use val/refined_dice (or another val/refined_*)")
    file_log = setup_logging(cfg.log_level)  # train.log is written once the set-up below holds
    out = Path(cfg.output_dir)
    result: dict[str, Any] = {"output_dir": str(out), "data": make_data(cfg)}
    L.seed_everything(cfg.seed, workers=True)
    _, meta = read_index(Path(rc.work_dir))
    datamodule = build_datamodule(cfg)
    module = build_refiner_module(cfg, meta.num_classes, meta.class_names, out / "val_vis")
    result["parameters"] = count_parameters(module.model)
    logger.info(f"Refiner: {result['parameters']:,} parameters, {meta.num_classes} classes, input {list(rc.resolution)}")
    loggers = build_loggers(cfg)
    trainer: L.Trainer = build(cfg.trainer, callbacks=callbacks(cfg, bool(loggers)), logger=loggers or False)
    out.mkdir(parents=True, exist_ok=True)
    file_log.open(out / "train.log")
    write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

    started = time.time()
    trainer.fit(module, datamodule=datamodule)
    result["train_seconds"] = round(time.time() - started, 1)
    result["global_step"] = int(trainer.global_step)
    best = getattr(trainer.checkpoint_callback, "best_model_path", "") or ""
    result["best_checkpoint"] = best or None
    if best:
        module.model.load_state_dict(read_state_dict(best))
    module.vis_dir = out / "val_vis" / "final"
    trainer.validate(module, datamodule=datamodule, verbose=False)
    result["val"] = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    if trainer.is_global_zero:
        result["export"] = export_and_check(module.model.cpu(), datamodule, out / "refiner.onnx", cfg)
        write_json(out / "metrics.json", result)
        for line in comparison_lines(result["val"]):
            logger.info(line)
        ex = result["export"]
        logger.info(f"ONNX (opset {ex['opset']}): max |logit diff| vs PyTorch {ex['parity']['max_abs_diff']:.2e} on "
                    f"{ex['parity']['frames']} val frames; latency torch {ex['latency']['torch_ms']:.2f} ms, "
                    f"onnxruntime {ex['latency']['onnxruntime_ms']:.2f} ms")
        logger.info(f"Metrics: {out / 'metrics.json'}   overlays: {out / 'val_vis'}")
    return result


def export_and_check(net, datamodule: RefinerDataModule, path: Path, cfg: DictConfig) -> dict[str, Any]:
    ex = cfg.refiner.export
    hw = tuple(int(v) for v in cfg.refiner.resolution)
    export_onnx(net, path, hw, ex.opset)
    session = ort_session(path, torch.get_num_threads())
    parity = check_parity(net, session, datamodule.val_dataloader())
    if parity["max_abs_diff"] > float(ex.parity_atol):
        logger.warning(f"ONNX parity {parity['max_abs_diff']:.2e} > refiner.export.parity_atol={ex.parity_atol}")
    return {"onnx": str(path), "opset": int(ex.opset), "parity": parity,
            "parity_ok": parity["max_abs_diff"] <= float(ex.parity_atol),
            "latency": latency(net, session, hw, int(ex.latency_runs))}


def main() -> None:
    from sam2_video.cli import hydra_main

    hydra_main()(train_refiner)()
