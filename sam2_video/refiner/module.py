"""`RefinerModule`: Lightning training / validation of the tiny refiner, prior vs refined side by side.

Logged: ``train/loss`` (+ ``train/ce``, ``train/dice``, ``train/boundary``), ``val/loss``, and for
both the prior (SAM2 logits, background where every class logit <= 0) and the refiner's output:
``val/{prior,refined}_{dice,iou,bf}`` (means over classes) and per class ``.../<class name>``.
The first ``vis_count`` validation frames go to ``<vis_dir>/epoch_<e>_<i>.png`` and TensorBoard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import lightning as L
import numpy as np
import torch

from sam2_video.data.visualize import save_rgb
from sam2_video.pipeline.stages.refiner import class_map
from sam2_video.pipeline.letterbox import IGNORE
from sam2_video.refiner.losses import RefinerLoss, temporal_consistency
from sam2_video.refiner.metrics import ScoreBook
from sam2_video.refiner.model import TinyRefiner, prior_logits_as_classes
from sam2_video.refiner.visualize import overlay_panel
from sam2_video.training.optim import LRSchedule, optimizer_with_schedule, param_groups
from sam2_video.training.val_vis import log_images


class RefinerModule(L.LightningModule):
    """Trains ``net`` with ``loss``; AdamW (``optimizer`` partial) + warm-up / cosine ``scheduler`` per step."""

    def __init__(self, net: TinyRefiner, loss: RefinerLoss, optimizer: Callable, scheduler: LRSchedule, lr: float,
                 weight_decay: float, class_names: dict[int, str], bound_th: float = 0.008,
                 vis_dir: str | Path | None = None, vis_count: int = 8) -> None:
        super().__init__()
        self.model, self.loss = net, loss  # `model`: the project checkpoint reader strips "model."
        self.optimizer_factory, self.scheduler = optimizer, scheduler
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.class_names, self.bound_th = dict(class_names), float(bound_th)
        self.vis_dir, self.vis_count = (Path(vis_dir) if vis_dir else None), int(vis_count)
        self.books: dict[str, ScoreBook] = {}

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits, edges = self.model.forward_train(batch["image"], batch["prior"])
        total, terms = self.loss(logits, batch["target"], edges)
        if self.loss.temporal and "next_image" in batch:
            valid = (batch["target"] != IGNORE) & (batch["next_target"] != IGNORE)
            terms["temporal"] = temporal_consistency(logits, self.model(batch["next_image"], batch["next_prior"]), valid)
            total = total + self.loss.temporal * terms["temporal"]
        bs = batch["image"].shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=bs)
        for k, v in terms.items():
            self.log(f"train/{k}", v, batch_size=bs)
        return total

    def on_validation_epoch_start(self) -> None:
        c = self.model.num_classes
        self.books = {k: ScoreBook(c, self.class_names, self.bound_th) for k in ("prior", "refined")}

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        logits, edges = self.model.forward_train(batch["image"], batch["prior"])
        total, _ = self.loss(logits, batch["target"], edges)
        self.log("val/loss", total, batch_size=batch["image"].shape[0])
        refined = class_map(logits).cpu().numpy()  # the one decoding rule, shared with the refiner stage
        prior = class_map(prior_logits_as_classes(batch["prior"])).cpu().numpy()
        gt = batch["target"].cpu().numpy()
        for i in range(len(gt)):
            self.books["prior"].add(prior[i], gt[i])
            self.books["refined"].add(refined[i], gt[i])
            n = batch_idx * len(gt) + i
            if n < self.vis_count:
                self._visualise(n, batch["image"][i], gt[i], prior[i], refined[i])

    def _visualise(self, n: int, image: torch.Tensor, gt: np.ndarray, prior: np.ndarray, refined: np.ndarray) -> None:
        rgb = np.ascontiguousarray((image.permute(1, 2, 0).float().cpu().numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8))
        dice = [_mean(self.books[k].rows[-1][0]) for k in ("prior", "refined")]  # this frame's mean Dice
        panel = overlay_panel(rgb, gt, prior.astype(np.uint8), refined.astype(np.uint8), (dice[0], dice[1]))
        if self.vis_dir is not None and not self.trainer.sanity_checking:
            self.vis_dir.mkdir(parents=True, exist_ok=True)
            save_rgb(self.vis_dir / f"epoch_{self.current_epoch:03d}_{n:02d}.png", panel)
        log_images(self.loggers, f"val_vis/{n:02d}", [("prior_refined", panel)], int(self.global_step))

    def on_validation_epoch_end(self) -> None:
        for kind, book in self.books.items():
            for k, v in book.summary().items():
                self.log(f"val/{kind}_{k}", v, prog_bar=k in ("dice", "bf") and kind == "refined")

    def configure_optimizers(self):
        return optimizer_with_schedule(param_groups(self.model, self.lr, self.weight_decay), self.optimizer_factory,
                                       self.scheduler, self.trainer.estimated_stepping_batches)


def _mean(row: np.ndarray) -> float:
    """Mean of the counted (finite) entries, NaN when none."""
    row = row[np.isfinite(row)]
    return float(row.mean()) if row.size else float("nan")
