"""SAM2 video losses: Meta's focal / dice / IoU / object-score terms plus BCE and temporal terms."""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn
from training.loss_fns import dice_loss, iou_loss, sigmoid_focal_loss

from sam2_video.errors import ConfigError

CORE_LOSS_KEY = "core_loss"
LOSS_TERMS = ("loss_mask", "loss_dice", "loss_iou", "loss_class", "loss_bce", "loss_temporal")


class SAM2VideoLoss(nn.Module):
    """Weighted sum of per-term losses over frames and correction steps, divided by #objects.

    With ``loss_bce = loss_temporal = 0`` it equals Meta's ``MultiStepMultiMasksAndIous``:
    focal (``loss_mask``) + dice back-propagate through the multimask output with the lowest
    weighted focal + dice, mask terms are zeroed where the object is absent, and ``loss_class``
    is a focal (by default plain BCE) loss on the object score.

    Extra terms: ``loss_bce`` (pixel BCE on the same selected output) and ``loss_temporal``:
    mean |(p_t - p_{t-1}) - (g_t - g_{t-1})| between consecutive frames' final probabilities p
    and targets g, i.e. it penalises flicker but not motion that the ground truth has.
    """

    def __init__(
        self,
        weight_dict: Mapping[str, float],
        focal_alpha: float = 0.25,
        focal_gamma: float = 2.0,
        supervise_all_iou: bool = True,
        iou_use_l1_loss: bool = True,
        pred_obj_scores: bool = True,
        focal_gamma_obj_score: float = 0.0,
        focal_alpha_obj_score: float = -1.0,
    ) -> None:
        super().__init__()
        unknown = set(weight_dict) - set(LOSS_TERMS)
        if unknown:
            raise ConfigError(f"loss.weight_dict: unknown terms {sorted(unknown)}; valid: {LOSS_TERMS}")
        self.weight_dict = {k: float(weight_dict.get(k, 0.0)) for k in LOSS_TERMS}
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.supervise_all_iou = supervise_all_iou
        self.iou_use_l1_loss = iou_use_l1_loss
        self.pred_obj_scores = pred_obj_scores
        self.focal_gamma_obj_score = focal_gamma_obj_score
        self.focal_alpha_obj_score = focal_alpha_obj_score

    def forward(self, outs_batch: list[dict], targets_batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """``outs_batch``: SAM2Train outputs per frame; ``targets_batch``: (T, O, H, W) masks."""
        assert len(outs_batch) == len(targets_batch)
        num_objects = float(max(targets_batch.shape[1], 1))
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            n = torch.tensor(float(targets_batch.shape[1]), device=targets_batch.device)
            torch.distributed.all_reduce(n)
            num_objects = max(n.item() / torch.distributed.get_world_size(), 1.0)
        losses = {k: targets_batch.new_zeros((), dtype=torch.float32) for k in LOSS_TERMS}
        for outs, targets in zip(outs_batch, targets_batch):
            target = targets.unsqueeze(1).float()  # (O, 1, H, W)
            for masks, ious, obj_logits in zip(
                outs["multistep_pred_multimasks_high_res"],
                outs["multistep_pred_ious"],
                outs["multistep_object_score_logits"],
            ):
                self._add_step(losses, masks, target, ious, obj_logits, num_objects)
        if self.weight_dict["loss_temporal"] != 0 and len(outs_batch) > 1:
            losses["loss_temporal"] = self._temporal(outs_batch, targets_batch.float(), num_objects)
        losses[CORE_LOSS_KEY] = sum(losses[k] * w for k, w in self.weight_dict.items() if w != 0)
        return losses

    def _add_step(self, losses, masks, target, ious, obj_logits, num_objects) -> None:
        target = target.expand_as(masks)  # (O, M, H, W)
        iou = iou_loss(masks, target, ious, num_objects, True, self.iou_use_l1_loss)  # (O, M)
        if self.pred_obj_scores:
            target_obj = (target[:, 0] > 0).flatten(1).any(-1, keepdim=True).float()  # (O, 1)
            loss_class = sigmoid_focal_loss(
                obj_logits, target_obj, num_objects, self.focal_alpha_obj_score, self.focal_gamma_obj_score
            )
        else:
            target_obj = torch.ones(masks.shape[0], 1, dtype=masks.dtype, device=masks.device)
            loss_class = masks.new_zeros(())
        if masks.size(1) > 1:  # each object learns from its output with the lowest weighted focal + dice (Meta's rule)
            with torch.no_grad():  # the choice needs no gradient: only the chosen output's terms get a graph
                combo = self._focal(masks, target, num_objects) * self.weight_dict["loss_mask"] \
                    + dice_loss(masks, target, num_objects, loss_on_multimask=True) * self.weight_dict["loss_dice"]
            best = combo.argmin(-1)
            rows = torch.arange(combo.size(0), device=combo.device)
            masks, target = masks[rows, best].unsqueeze(1), target[:, :1]  # (O, 1, H, W)
            iou = iou.mean(-1, keepdim=True) if self.supervise_all_iou else iou[rows, best].unsqueeze(1)
        focal = self._focal(masks, target, num_objects)  # (O, 1)
        dice = dice_loss(masks, target, num_objects, loss_on_multimask=True)
        if self.weight_dict["loss_bce"] != 0:
            bce = F.binary_cross_entropy_with_logits(masks, target, reduction="none").flatten(2).mean(-1)
            bce = bce / num_objects
        else:
            bce = torch.zeros_like(focal)
        losses["loss_mask"] += (focal * target_obj).sum()
        losses["loss_dice"] += (dice * target_obj).sum()
        losses["loss_iou"] += (iou * target_obj).sum()
        losses["loss_bce"] += (bce * target_obj).sum()
        losses["loss_class"] += loss_class

    def _focal(self, masks: torch.Tensor, target: torch.Tensor, num_objects: float) -> torch.Tensor:
        return sigmoid_focal_loss(masks, target, num_objects, self.focal_alpha, self.focal_gamma, True)

    @staticmethod
    def _temporal(outs_batch, targets, num_objects) -> torch.Tensor:
        probs = torch.stack([o["pred_masks_high_res"][:, 0] for o in outs_batch]).sigmoid()  # (T, O, H, W)
        diff = (probs[1:] - probs[:-1]) - (targets[1:] - targets[:-1])
        return diff.abs().flatten(2).mean(-1).sum() / num_objects
