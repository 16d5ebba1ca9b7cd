"""LightningModule: SAM2's video model trained over clips exactly as Meta's ``SAM2Train``."""

from __future__ import annotations

import ast
import random
import warnings
from typing import Callable, Mapping, Optional

import lightning as L
import numpy as np
import torch
from loguru import logger

from omegaconf import DictConfig

from sam2_video.config import build
from sam2_video.data.batch import ClipBatch
from sam2_video.errors import TrainingDivergedError
from sam2_video.model.builder import build_model
from sam2_video.model.lora import has_lora, trainable_state
from sam2_video.model.sam2_train import FirstFramePrompts, SAM2VideoTrainer
from sam2_video.prompt import PromptSpec
from sam2_video.training.losses import CORE_LOSS_KEY, SAM2VideoLoss
from sam2_video.training.optim import LRSchedule, optimizer_with_schedule, param_groups
from sam2_video.training.random_streams import RandomStreams
from sam2_video.training.val_metrics import ClipMetricAccumulator, ValidationProtocol


def build_module(cfg: DictConfig) -> "SAM2VideoModule":
    """The LightningModule of a composed root config: ``instantiate(cfg.module, model=build_model(cfg))``."""
    return build(cfg.module, model=build_model(cfg))


def mask_logits(outs: list[dict]) -> torch.Tensor:
    """(T, O, H, W) high-resolution mask logits of Meta's per-frame output dicts."""
    return torch.stack([o["pred_masks_high_res"][:, 0] for o in outs])


class SAM2VideoModule(L.LightningModule):
    """Wraps ``SAM2VideoTrainer`` with a loss, an optimiser and clip-level validation metrics.

    Built by ``instantiate(cfg.module, model=build_model(cfg))`` (configs/module/default.yaml):
    ``prompt`` is the run's :class:`~sam2_video.prompt.spec.PromptSpec` (validation clips are prompted
    with ``prompt.kind``, like the evaluation), ``validation`` the evaluation's scoring protocol.

    Validation never steers training: the global random streams (torch, NumPy, ``random``) are
    captured when a validation starts and restored when it ends (after every callback's hooks, the
    validation pictures included), and the model's eval-mode draws use its own generator, reseeded at
    every validation. The validation loader has its own torch generator (``ClipDataModule``).
    """

    def __init__(
        self,
        model: SAM2VideoTrainer,
        loss: SAM2VideoLoss,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: LRSchedule,
        prompt: PromptSpec,
        validation: ValidationProtocol = ValidationProtocol(),
        weight_decay: float = 0.1,
        lr: float = 1e-4,
        lr_multipliers: Optional[Mapping[str, float]] = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.loss = loss
        self.optimizer_factory = optimizer
        self.scheduler = scheduler
        self.prompt = prompt
        self.validation = validation
        self.weight_decay = float(weight_decay)
        self.lr = float(lr)
        self.lr_multipliers = dict(lr_multipliers or {})
        self.val_metrics = ClipMetricAccumulator(validation)
        self.strict_loading = not has_lora(model)  # LoRA checkpoints hold the trained tensors only
        self._training_streams: Optional[RandomStreams] = None

    @property
    def val_prompt_kind(self) -> str:
        """The prompt kind of validation clips (= the evaluation's, ``prompt.kind``)."""
        return self.prompt.kind

    # ---------------------------------------------------------------- forward / steps
    def forward(self, batch: ClipBatch, prompt_kind: Optional[str] = None) -> list[dict]:
        """Run SAM2 over the clips of ``batch``; returns Meta's per-frame output dicts."""
        prompts = FirstFramePrompts(batch.point_coords, batch.point_labels, batch.boxes)
        keys = None
        if self.model.feature_cache is not None:  # frame identity, clip-major like flat_img_batch
            orders = batch.frame_orders.tolist()  # (T, B)
            keys = [(v, orders[t][b]) for b, v in enumerate(batch.video_ids) for t in range(batch.num_frames)]
        return self.model(batch.to_sam2(), prompts, prompt_kind=prompt_kind, frame_keys=keys,
                          categories=batch.category_ids)  # categories: a learned prompt (kind auto) reads them

    def training_step(self, batch: ClipBatch, batch_idx: int) -> Optional[torch.Tensor]:
        outs = self(batch)
        losses = self.loss(outs, batch.masks)
        total = losses[CORE_LOSS_KEY]
        if not total.requires_grad:  # e.g. every frame of a short clip a conditioning frame, only memory modules trained
            logger.debug(f"clip(s) {', '.join(batch.clip_ids)}: no trainable module on the loss path; step skipped")
            warnings.warn("no trainable module is on this clip's loss path (model.trainable_modules): its optimizer "
                          "step is skipped, as every such clip's (the DEBUG log names them); a longer "
                          "data.clip_length avoids them")
            return None  # Lightning skips backward and the optimizer step
        if not torch.isfinite(total):
            raise TrainingDivergedError(
                f"non-finite loss {total.item()} at global step {self.global_step} on clip(s) "
                f"{', '.join(batch.clip_ids)}; last good checkpoint kept; lower optim.lr or check the clip's masks"
            )
        bs = len(batch.clip_ids)
        for key, value in losses.items():
            name = "train/loss" if key == CORE_LOSS_KEY else f"train/{key}"
            self.log(name, value.detach(), batch_size=bs, prog_bar=key == CORE_LOSS_KEY)
        return total

    def validation_step(self, batch: ClipBatch, batch_idx: int) -> dict[str, torch.Tensor]:
        """Loss and clip metrics of a validation batch; returns ``{"pred": (T, O, H, W) bool}``, the
        binarized masks (callbacks such as the validation pictures reuse them instead of a new forward)."""
        outs = self(batch, prompt_kind=self.prompt.kind)
        losses = self.loss(outs, batch.masks)
        self.log("val/loss", losses[CORE_LOSS_KEY], batch_size=len(batch.clip_ids), sync_dist=True)
        logits = mask_logits(outs).detach()
        self.val_metrics.update(logits, batch.masks.cpu().numpy(), batch.obj_to_clip.cpu().numpy(),
                                batch.category_ids.cpu().numpy(), batch.clip_ids, batch.prompt_frames.cpu().numpy())
        return {"pred": (logits > self.logit_threshold).cpu()}

    @property
    def logit_threshold(self) -> float:
        """The validation threshold as a logit: ``sigmoid(logit) > t`` <=> ``logit > log(t / (1 - t))``."""
        t = self.validation.threshold
        return float(np.log(t / (1 - t)))

    def binarize(self, outs: list[dict]) -> torch.Tensor:
        """(T, O, H, W) bool masks of Meta's per-frame outputs at the validation threshold (no non-overlap)."""
        return mask_logits(outs) > self.logit_threshold

    def on_validation_model_eval(self) -> None:
        # the first hook of a validation (before every on_validation_start): keep training's streams
        self._training_streams = RandomStreams.capture()
        self.model.reset_eval_rng()
        super().on_validation_model_eval()

    def on_validation_end(self) -> None:
        # runs after the callbacks' on_validation_end: whatever validation drew, training continues as if not
        if self._training_streams is not None:
            self._training_streams.restore()
            self._training_streams = None

    def on_validation_epoch_start(self) -> None:
        self.val_metrics.reset()

    def on_validation_epoch_end(self) -> None:
        summary = self.val_metrics.compute()
        for key, value in summary.items():
            self.log(f"val/{key}", value, sync_dist=True, prog_bar=key == "jf")

    # ---------------------------------------------------------------- optimisation
    def configure_optimizers(self):
        groups = param_groups(self.model, self.lr, self.weight_decay, self.lr_multipliers)
        if not groups:
            raise RuntimeError("no trainable parameters: check model.trainable_modules")
        return optimizer_with_schedule(groups, self.optimizer_factory, self.scheduler,
                                       self.trainer.estimated_stepping_batches)

    # ---------------------------------------------------------------- exact resume
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Store every RNG that drives training so a resumed run continues identically; with LoRA keep
        only the trained tensors (adapters + trainable modules): the frozen base is model.checkpoint_path."""
        if has_lora(self.model):
            checkpoint["state_dict"] = trainable_state(checkpoint["state_dict"], self.model, prefix="model.")
        np_state = np.random.get_state()
        checkpoint["sam2_video_rng"] = {
            "torch": torch.get_rng_state(),
            "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
            "python": repr(random.getstate()),
            "model_rng": repr(self.model.rng.bit_generator.state),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("sam2_video_rng")
        if state is None:
            logger.warning("checkpoint has no RNG state; the resumed run will not be bit-identical")
            return
        torch.set_rng_state(state["torch"])
        np_state = state["numpy"]
        np.random.set_state((np_state[0], np_state[1].numpy().astype(np.uint32), *np_state[2:]))
        random.setstate(ast.literal_eval(state["python"]))
        self.model.rng.bit_generator.state = ast.literal_eval(state["model_rng"])
