"""The SAM2 hook: a learned prompt takes the place of clicks, boxes and masks.

Convention (shared with :class:`sam2_video.inference.TrackingSession` and the training path): a
conditioning frame prompted with kind ``auto`` passes ``point_inputs`` with ZERO points plus
``AUTO_CATEGORIES`` (B,) dataset category ids (and, for the own-CNN encoder, ``AUTO_IMAGE_FEATURES``
carried from ``forward_image``). :class:`AutoPromptMixin` recognises it in ``_forward_sam_heads``,
computes the learned prompt from the features SAM2 hands to its heads, and calls SAM2's own
``_forward_sam_heads`` with no point and no mask input, while a forward hook on
``sam_prompt_encoder`` (registered for that one call) replaces or adds to the ``no_mask_embed``
dense output and appends the optional sparse tokens. Everything after the decoder (object-score
gate, object pointer, memory encoding, tracking) is SAM2's unchanged code. Tracked frames (no
prompt at all) never see the learned prompt.

The learned prompt always decodes a single mask (it names one category: nothing is ambiguous).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from loguru import logger

from sam2_video.autoprompt.checkpoint import ENCODER_PREFIX, encoder_path_for, read_encoder_state, write_encoder_file
from sam2_video.autoprompt.encoder import ADD, LearnedPrompt, PromptEncoderBase
from sam2_video.errors import CheckpointError
from sam2_video.model.sam2_train import SAM2VideoTrainer

AUTO_KIND = "auto"
AUTO_CATEGORIES = "auto_categories"  # point_inputs key: (B,) int64 dataset category ids
AUTO_IMAGE_FEATURES = "auto_prompt_image_features"  # backbone_out / point_inputs key: (B, c, h, w)

def auto_point_inputs(categories: torch.Tensor, image_features: Optional[torch.Tensor] = None) -> dict:
    """SAM2 ``point_inputs`` meaning "learned prompt for these categories" (no clicks)."""
    b, dev = categories.shape[0], categories.device
    out = {"point_coords": torch.zeros(b, 0, 2, device=dev),  # (B, 0, 2): no clicks
           "point_labels": torch.zeros(b, 0, dtype=torch.int32, device=dev),  # (B, 0)
           AUTO_CATEGORIES: categories.long()}
    if image_features is not None:
        out[AUTO_IMAGE_FEATURES] = image_features
    return out


def is_auto_inputs(point_inputs: Optional[dict]) -> bool:
    return point_inputs is not None and AUTO_CATEGORIES in point_inputs


def _inject(module, args, output, prompt: LearnedPrompt, mode: str):
    """Forward hook on ``sam_prompt_encoder``: (sparse, dense) -> with the learned prompt."""
    sparse, dense = output
    learned = prompt.dense
    if learned.shape[-2:] != dense.shape[-2:]:
        learned = F.interpolate(learned, size=dense.shape[-2:], mode="bilinear", align_corners=False)
    learned = learned.to(dense.dtype)
    dense = dense + learned if mode == ADD else learned
    if prompt.sparse is not None:
        sparse = torch.cat([sparse, prompt.sparse.to(sparse.dtype)], dim=1)
    return sparse, dense


class AutoPromptMixin:
    """Adds a learned prompt encoder (``self.auto_prompt``) to a SAM2Base subclass (see module doc)."""

    auto_prompt: PromptEncoderBase
    auto_prompt_checkpoint: Optional[str] = None

    # ---- SAM2 hooks ----
    def forward_image(self, img_batch: torch.Tensor):
        backbone_out = super().forward_image(img_batch)
        if self.auto_prompt.needs_image:  # the own-CNN input, computed once per image, carried along
            backbone_out[AUTO_IMAGE_FEATURES] = self.auto_prompt.image_features(img_batch)
        return backbone_out

    def _forward_sam_heads(self, backbone_features, point_inputs=None, mask_inputs=None, high_res_features=None,
                           multimask_output=False):
        if not is_auto_inputs(point_inputs):
            return super()._forward_sam_heads(backbone_features, point_inputs, mask_inputs, high_res_features,
                                              multimask_output)
        prompt = self.auto_prompt(backbone_features, point_inputs[AUTO_CATEGORIES],
                                  point_inputs.get(AUTO_IMAGE_FEATURES))
        handle = self.sam_prompt_encoder.register_forward_hook(
            partial(_inject, prompt=prompt, mode=self.auto_prompt.mode))
        try:
            return super()._forward_sam_heads(backbone_features, None, mask_inputs, high_res_features, False)
        finally:
            handle.remove()

    # ---- training / validation (Meta's SAM2Train path; kind ``auto`` leaves conditioning frames bare) ----
    def forward(self, input, prompts=None, prompt_kind=None, frame_keys=None, categories=None):
        """``SAM2VideoTrainer.forward``; ``categories`` (O,) dataset category id of every object of
        ``input``: the conditioning frames that get no input (kind ``auto``) get the learned prompt."""
        if prompt_kind is None and self.training and input.num_frames == 1 \
                and float(getattr(self, "prob_to_use_auto_input_for_train", 0.0)) >= 1.0:
            prompt_kind = "auto"  # image mode: Meta forces clicks on 1-frame clips; an auto-only mix means auto
        return super().forward(input, prompts, prompt_kind=prompt_kind, frame_keys=frame_keys, categories=categories)

    def prepare_prompt_inputs(self, backbone_out, input, start_frame_idx=0, *, categories=None, **kwargs):
        out = super().prepare_prompt_inputs(backbone_out, input, start_frame_idx, categories=categories, **kwargs)
        bare = [t for t in out["init_cond_frames"]
                if t not in out["mask_inputs_per_frame"] and t not in out["point_inputs_per_frame"]]
        if categories is None or not bare:
            return out
        feats = backbone_out.get(AUTO_IMAGE_FEATURES)
        if self.auto_prompt.needs_image and feats is None:  # frames came from the feature cache / per-frame eval
            feats = self.auto_prompt.image_features(input.flat_img_batch)
        for t in bare:
            rows = input.flat_obj_to_img_idx[t]  # (O,) image of each object on frame t
            out["point_inputs_per_frame"][t] = auto_point_inputs(categories, None if feats is None else feats[rows])
        return out

    # ---- checkpoints: the encoder travels next to the official SAM2 file ----
    def complete_state(self, state: dict, path: Path) -> dict:
        """Called by ``load_into``: add the encoder weights when ``path`` holds SAM2's only."""
        if any(k.startswith(ENCODER_PREFIX) for k in state):
            return state
        if self.missing_encoder == "random" and not (self.auto_prompt_checkpoint or encoder_path_for(path).is_file()):
            logger.warning(f"{path} holds SAM2 weights only and no prompt-encoder file is next to it: the prompt "
                           "encoder starts from random weights (model.auto_prompt.missing_encoder=random)")
            return {**state, **{ENCODER_PREFIX + k: v for k, v in self.auto_prompt.state_dict().items()}}
        return {**state, **read_encoder_state(self, path)}

    def official_export(self, state: dict, path: Path) -> dict:
        """Called by ``save_official``: write the encoder next to ``path``; SAM2's keys stay in it."""
        write_encoder_file(self, state, path)
        return {k: v for k, v in state.items() if not k.startswith(ENCODER_PREFIX)}


class AutoPromptSAM2(AutoPromptMixin, SAM2VideoTrainer):
    """This project's SAM2 video trainer with a learned prompt encoder (``model.auto_prompt``)."""

    def __init__(self, auto_prompt: PromptEncoderBase, auto_prompt_checkpoint: Optional[str] = None,
                 sam2_checkpoint: Optional[str] = None, missing_encoder: str = "error", **kwargs):
        super().__init__(**kwargs)
        self.auto_prompt = auto_prompt
        self.auto_prompt_checkpoint, self.missing_encoder = auto_prompt_checkpoint, missing_encoder
        if auto_prompt_checkpoint and not sam2_checkpoint:  # they load together, in complete_state
            raise CheckpointError(
                f"model.auto_prompt.checkpoint_path={auto_prompt_checkpoint} without SAM2 weights: the prompt encoder "
                "was trained for one SAM2; set model.checkpoint_path to the model_official.pt it was exported with")
