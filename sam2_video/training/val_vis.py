"""Validation pictures: the same validation clips at every validation, as image / GT / prediction.

``ValidationPictures`` (``callbacks.val_vis`` in configs/callbacks/default.yaml) picks ``count``
clips of the validation set once (evenly spaced indices, so the same clips every time), takes the
validation's own predictions of them (validation prompts and threshold; clips the validation did not
run, e.g. under ``limit_val_batches``, get one extra forward at the epoch's end), renders one
strip per clip (rows image / ground truth / prediction, one column per frame; colours by object
id, see ``sam2_video.data.visualize``) and

- saves it as ``<dirpath>/epoch_XXX/NN_<clip id>.png`` (``validate_XXXXXX`` outside ``fit``),
- logs it to TensorBoard (``add_image``) and W&B (``log_image``) when those loggers are active.

``count: 0`` turns it off. Only the global-zero process draws (under DDP the others skip).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import cv2
import lightning as L
import numpy as np
import torch
from loguru import logger

from sam2_video.atomic import atomic_path
from sam2_video.data.batch import ClipBatch, collate_clips
from sam2_video.data.normalize import denormalize_frames
from sam2_video.data.visualize import clip_strip
from sam2_video.errors import ConfigError

TAG = "val_vis"


def pick_indices(num_items: int, count: int) -> list[int]:
    """``count`` evenly spaced indices of ``range(num_items)`` (all of them if fewer)."""
    if count <= 0 or num_items <= 0:
        return []
    return sorted({int(round(x)) for x in np.linspace(0, num_items - 1, min(count, num_items))})


def render_batch(batch: ClipBatch, pred: np.ndarray, tile: int | None = None) -> list[tuple[str, np.ndarray]]:
    """One (H, W, 3) uint8 strip per clip: ``pred`` (T, O, H, W) bool for the objects of ``batch``."""
    masks = batch.masks.cpu().numpy()  # (T, O, H, W)
    owner = batch.obj_to_clip.cpu().numpy()  # (O,)
    ids = batch.object_ids.cpu().numpy()  # (O,)
    out = []
    for b, clip_id in enumerate(batch.clip_ids):
        sel = owner == b
        frames = denormalize_frames(batch.frames[:, b])  # (T, S, S, 3)
        out.append((clip_id, clip_strip(frames, masks[:, sel], pred[:, sel], ids[sel].tolist(), clip_id, tile)))
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", name).strip("._")[:120] or "clip"


class ValidationPictures(L.Callback):
    """Render ``count`` fixed validation clips after every validation epoch (see the module doc)."""

    def __init__(self, count: int = 4, dirpath: str | Path = "val_vis", tile: int | None = 160) -> None:
        if int(count) < 0:
            raise ConfigError(f"callbacks.val_vis.count={count}: use 0 (off) or a positive number of clips")
        self.count = int(count)
        self.dirpath = Path(dirpath)
        self.tile = tile

    def _active(self, trainer: L.Trainer) -> bool:
        return self.count > 0 and not trainer.sanity_checking and trainer.is_global_zero

    @staticmethod
    def _loader(trainer: L.Trainer):
        loaders = trainer.val_dataloaders
        return loaders[0] if isinstance(loaders, Sequence) else loaders

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        loader = self._loader(trainer) if self._active(trainer) else None
        self._wanted = set(pick_indices(len(loader.dataset), self.count)) if loader is not None else set()
        self._strips: dict[int, tuple[str, np.ndarray]] = {}

    def on_validation_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch: ClipBatch,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        """Picture the wanted clips from the validation's own predictions (no extra forward). Dataset
        index = ``batch_idx * batch_size + b`` (one process, sequential validation loader)."""
        wanted = getattr(self, "_wanted", set())
        if not wanted or dataloader_idx or trainer.world_size > 1 or not isinstance(outputs, dict) or "pred" not in outputs:
            return
        first = batch_idx * self._loader(trainer).batch_size
        hits = [b for b in range(len(batch.clip_ids)) if first + b in wanted]
        if hits:
            strips = render_batch(batch, outputs["pred"].numpy(), self.tile)
            self._strips.update({first + b: strips[b] for b in hits})

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self._active(trainer) or self._loader(trainer) is None:
            return
        dataset = self._loader(trainer).dataset
        indices = pick_indices(len(dataset), self.count)
        if not indices:
            return
        strips_by_index = dict(getattr(self, "_strips", {}))
        missing = [i for i in indices if i not in strips_by_index]  # not validated (limit_val_batches) or DDP
        if missing:
            batch = collate_clips([dataset[i] for i in missing]).to(pl_module.device)
            with torch.no_grad():
                pred = pl_module.binarize(pl_module(batch, prompt_kind=pl_module.val_prompt_kind)).cpu().numpy()
            strips_by_index.update(zip(missing, render_batch(batch, pred, self.tile)))
        strips = [strips_by_index[i] for i in indices]
        fit = trainer.state.fn == "fit"
        folder = self.dirpath / (f"epoch_{trainer.current_epoch:03d}" if fit else f"validate_{trainer.global_step:06d}")
        for k, (clip_id, img) in enumerate(strips):
            with atomic_path(folder / f"{k:02d}_{_safe(clip_id)}.png", suffix=".png") as tmp:
                ok, png = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
                if not ok:
                    raise OSError(f"cannot encode {clip_id} as PNG")
                tmp.write_bytes(png.tobytes())
        self._log(trainer, strips)
        logger.debug(f"validation pictures: {len(strips)} clips -> {folder}")

    @staticmethod
    def _log(trainer: L.Trainer, strips: list[tuple[str, np.ndarray]]) -> None:
        log_images(trainer.loggers, TAG, strips, int(trainer.global_step))


def log_images(loggers, tag: str, images: list[tuple[str, np.ndarray]], step: int) -> None:
    """Log named (H, W, 3) uint8 pictures to every TensorBoard (``<tag>/<k>_<name>``) and W&B logger."""
    from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger

    for lg in loggers:
        if isinstance(lg, TensorBoardLogger):
            for k, (name, img) in enumerate(images):
                lg.experiment.add_image(f"{tag}/{k:02d}_{name}", img, step, dataformats="HWC")
        elif isinstance(lg, WandbLogger):
            lg.log_image(key=tag, images=[img for _, img in images], step=step, caption=[n for n, _ in images])
