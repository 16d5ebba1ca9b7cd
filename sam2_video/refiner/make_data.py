"""Build the refiner's data: index + splits, deterministic prompts, offline SAM2 priors (all resumable).

    python -m sam2_video.refiner.make_data experiment=refiner_demo
    python -m sam2_video.refiner.make_data experiment=refiner refiner.source=folder \\
        refiner.folder.images=/data/lab/images refiner.folder.masks=/data/lab/masks \\
        sam2=sam2.1_tiny model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt

Writes under ``refiner.work_dir``: ``dataset.jsonl`` + ``dataset_meta.json``, ``masks/`` (data
source only), ``prompts/<key>.prompts.json``, ``sam2_prior/<key>.npy`` + ``params.json`` +
``summary.json``. Rerunning skips finished work: identical prompt files are not rewritten,
verified priors are not recomputed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from loguru import logger
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sam2_video.config import build
from sam2_video.errors import ConfigError
from sam2_video.pipeline.assemble import adopt_checkpoint
from sam2_video.model.builder import build_sam2_model
from sam2_video.refiner.index import IndexMeta, read_class_map, write_index
from sam2_video.refiner.priors import PriorSpec, generate_priors
from sam2_video.refiner.prompts import PriorPromptSpec, frame_prompts, prompt_path, write_prompts
from sam2_video.refiner.sources import records_from_datamodule, records_from_folder
from sam2_video.refiner.splits import assign_splits


def refiner_cfg(cfg: DictConfig) -> DictConfig:
    """``cfg.refiner``, or a ConfigError saying how to compose it."""
    rc = cfg.get("refiner")
    if rc is None:
        raise ConfigError("no refiner config: add experiment=refiner (or experiment=refiner_demo, or refiner=default)")
    res = list(rc.resolution)
    if len(res) != 2 or min(res) < 16 or any(int(v) % 8 for v in res):
        raise ConfigError(f"refiner.resolution={res}: (H, W), both multiples of 8 and >= 16")
    return rc


def build_index(cfg: DictConfig, work: Path) -> tuple[list, IndexMeta]:
    """Records (with splits) and meta from ``refiner.source``; writes the index files."""
    rc = cfg.refiner
    if rc.source == "data":
        records, meta = records_from_datamodule(build(cfg.data), list(rc.data_splits), work)
        if rc.num_classes:
            if int(rc.num_classes) < meta.num_classes:
                raise ConfigError(f"refiner.num_classes={rc.num_classes} but the data has {meta.num_classes} categories")
            meta = IndexMeta(int(rc.num_classes), meta.class_names, meta.source)
    elif rc.source == "folder":
        f = rc.folder
        records, meta = records_from_folder(f.images, f.masks, rc.num_classes, f.mask_suffix, f.video_regex,
                                            list(rc.class_names) if rc.class_names else None)
        records = assign_splits(records, rc.split.val_fraction, rc.split.test_fraction, rc.split.seed)
    else:
        raise ConfigError(f"refiner.source={rc.source!r}: use data (the frames of cfg.data) or folder")
    write_index(work, records, meta)
    return records, meta


def make_data(cfg: DictConfig) -> dict[str, Any]:
    """Index, prompts and priors for ``cfg`` (see the module docstring); returns a summary dict."""
    rc = refiner_cfg(cfg)
    work = Path(rc.work_dir)
    records, meta = build_index(cfg, work)
    splits = {s: sum(r.split == s for r in records) for s in sorted({r.split for r in records})}
    logger.info(f"Index: {len(records)} frames, {meta.num_classes} classes, splits {splits} -> {work / 'dataset.jsonl'}")

    spec: PriorPromptSpec = build(rc.prompts)
    written = 0
    for rec in tqdm(records, desc="prompts", unit="frame"):
        labels = read_class_map(rec.mask_path, meta.num_classes)
        written += write_prompts(prompt_path(work, rec.key), frame_prompts(rec.key, labels, rec.classes_present, spec))
    logger.info(f"Prompts: {written} written, {len(records) - written} unchanged -> {work / 'prompts'}")

    device = rc.prior.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    prior_spec = PriorSpec(tuple(int(v) for v in rc.resolution), float(rc.prior.clip), float(rc.prior.absent_logit),
                           bool(rc.prior.multimask_output))
    adopt_checkpoint(cfg)  # a train.py .ckpt: the model settings it was trained with (variant, net, ...)
    model_info = {"variant": cfg.model.variant, "checkpoint_path": cfg.model.checkpoint_path,
                  "image_size": int(cfg.model.image_size)}
    if not cfg.model.checkpoint_path:  # random weights: their seed identifies them
        model_info["random_init_seed"] = cfg.model.get("seed", cfg.get("seed"))
    summary = generate_priors(records, meta, work, lambda: build_sam2_model(cfg.model).to(device), prior_spec,
                              model_info, max_frames=rc.prior.get("max_frames"))
    logger.info(f"Priors: {summary['written']} written, {summary['skipped_verified']} verified and kept; "
                f"mean prior IoU {summary['mean_prior_iou']} -> {work / 'sam2_prior'}")
    return {"work_dir": str(work), "frames": len(records), "splits": splits, "num_classes": meta.num_classes,
            "prompts_written": written, "priors": summary, "config": OmegaConf.to_container(rc, resolve=True)}


def main() -> None:
    from sam2_video.cli import hydra_main, setup_console

    def run(cfg: DictConfig) -> None:
        setup_console(cfg.log_level)
        make_data(cfg)

    hydra_main()(run)()


if __name__ == "__main__":
    main()
