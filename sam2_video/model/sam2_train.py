"""Meta's ``SAM2Train`` with first-frame prompts supplied by our data pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Literal, Optional, Sequence

import torch
from sam2.modeling.sam2_utils import get_next_point, sample_box_points
from training.model.sam2 import SAM2Train
from training.utils.data_utils import BatchedVideoDatapoint

from sam2_video.model.feature_cache import FeatureCache

PromptKind = Literal["point", "box", "mask"]
PROMPT_KINDS: tuple[str, ...] = ("point", "box", "mask")


@dataclass
class FirstFramePrompts:
    """Prompts for the first frame of a clip, one row per object, in model-resolution pixels."""

    point_coords: torch.Tensor  # (O, P, 2) xy; rows padded with label -1
    point_labels: torch.Tensor  # (O, P) int: 1 positive, 0 negative, -1 padding
    boxes: torch.Tensor  # (O, 4) x0, y0, x1, y1

    def as_point_inputs(self, kind: str) -> dict[str, torch.Tensor]:
        """SAM2 ``point_inputs`` for ``kind`` in {point, box} (a box is two points, labels 2 / 3)."""
        if kind == "box":
            coords = self.boxes.reshape(-1, 2, 2)
            labels = torch.tensor([2, 3], dtype=torch.int32, device=coords.device)
            return {"point_coords": coords, "point_labels": labels.expand(coords.shape[0], 2)}
        return {"point_coords": self.point_coords, "point_labels": self.point_labels.int()}


class SAM2VideoTrainer(SAM2Train):
    """``SAM2Train`` whose first-frame point / box prompts come from the batch.

    The random decisions (point vs mask input, box vs point, number of initial conditioning
    frames, frames receiving correction clicks) are drawn from ``self.rng`` in exactly the order
    Meta's ``SAM2Train.prepare_prompt_inputs`` draws them, so with the same prompts and seeds the
    forward pass equals Meta's. Additional conditioning frames and correction clicks are sampled
    from the ground truth by Meta's own helpers.

    ``feature_cache`` (set by the builder from ``model.feature_cache``): reuse frozen image-encoder
    features of frames seen before, identified by ``frame_keys``.
    """

    feature_cache: Optional[FeatureCache] = None

    def forward(  # type: ignore[override]
        self,
        input: BatchedVideoDatapoint,
        prompts: Optional[FirstFramePrompts] = None,
        prompt_kind: Optional[PromptKind] = None,
        frame_keys: Optional[Sequence[Hashable]] = None,
    ):
        """Track a batch of clips; ``prompt_kind=None`` samples the kind with the model's rng.

        ``frame_keys``: one key per image of ``input.flat_img_batch`` (clip-major: clip b, frame t at
        ``b * T + t``), for the feature cache.
        """
        if prompt_kind is not None and prompt_kind not in PROMPT_KINDS:
            raise ValueError(f"unknown prompt kind {prompt_kind!r}; use one of {PROMPT_KINDS}")
        self._first_frame_prompts = prompts
        self._forced_prompt_kind = prompt_kind
        self._frame_keys = frame_keys
        try:
            return super().forward(input)
        finally:
            self._first_frame_prompts = None
            self._forced_prompt_kind = None
            self._frame_keys = None

    def forward_image(self, img_batch: torch.Tensor):
        """SAM2Base.forward_image, with the encoder output taken from the feature cache when one is set."""
        keys = getattr(self, "_frame_keys", None)
        if self.feature_cache is None or keys is None or len(keys) != img_batch.shape[0]:
            return super().forward_image(img_batch)
        backbone_out = self.feature_cache.encode(self.image_encoder, img_batch, keys)
        if self.use_high_res_features_in_sam:  # as in SAM2Base.forward_image
            backbone_out["backbone_fpn"][0] = self.sam_mask_decoder.conv_s0(backbone_out["backbone_fpn"][0])
            backbone_out["backbone_fpn"][1] = self.sam_mask_decoder.conv_s1(backbone_out["backbone_fpn"][1])
        return backbone_out

    def _decide_kind(self, prob_pt: float) -> tuple[bool, Optional[bool]]:
        # The draw is made even when the kind is forced, so that forced and sampled runs
        # consume ``self.rng`` identically (and match Meta's sequence of draws).
        sampled = bool(self.rng.random() < prob_pt)
        forced = getattr(self, "_forced_prompt_kind", None)
        if forced is None:
            return sampled, None
        return forced in ("point", "box"), forced == "box"

    def prepare_prompt_inputs(self, backbone_out, input, start_frame_idx=0):
        """Prepare mask / point / box inputs on the initial conditioning frames (see class doc)."""
        gt_masks_per_frame = {t: m.unsqueeze(1) for t, m in enumerate(input.masks)}  # (O, 1, H, W)
        backbone_out["gt_masks_per_frame"] = gt_masks_per_frame
        num_frames = input.num_frames
        backbone_out["num_frames"] = num_frames
        mode = "train" if self.training else "eval"
        prob_pt = getattr(self, f"prob_to_use_pt_input_for_{mode}")
        prob_box = getattr(self, f"prob_to_use_box_input_for_{mode}")
        num_to_correct = getattr(self, f"num_frames_to_correct_for_{mode}")
        rand_to_correct = getattr(self, f"rand_frames_to_correct_for_{mode}")
        num_init = getattr(self, f"num_init_cond_frames_for_{mode}")
        rand_init = getattr(self, f"rand_init_cond_frames_for_{mode}")
        if num_frames == 1:
            prob_pt, num_to_correct, num_init = 1.0, 1, 1
        use_pt_input, forced_box = self._decide_kind(prob_pt)
        if rand_init and num_init > 1:
            num_init = self.rng.integers(1, num_init, endpoint=True)
        if use_pt_input and rand_to_correct and num_to_correct > num_init:
            num_to_correct = self.rng.integers(num_init, num_to_correct, endpoint=True)
        backbone_out["use_pt_input"] = use_pt_input

        init_cond_frames = [start_frame_idx]
        if num_init > 1:
            init_cond_frames += self.rng.choice(
                range(start_frame_idx + 1, num_frames), num_init - 1, replace=False
            ).tolist()
        backbone_out["init_cond_frames"] = init_cond_frames
        backbone_out["frames_not_in_init_cond"] = [
            t for t in range(start_frame_idx, num_frames) if t not in init_cond_frames
        ]
        backbone_out["mask_inputs_per_frame"] = {}
        backbone_out["point_inputs_per_frame"] = {}
        prompts: Optional[FirstFramePrompts] = getattr(self, "_first_frame_prompts", None)
        for t in init_cond_frames:
            if not use_pt_input:
                backbone_out["mask_inputs_per_frame"][t] = gt_masks_per_frame[t]
                continue
            sampled_box = bool(self.rng.random() < prob_box)
            use_box = sampled_box if forced_box is None else forced_box
            if t == start_frame_idx and prompts is not None:
                point_inputs = prompts.as_point_inputs("box" if use_box else "point")
            elif use_box:
                points, labels = sample_box_points(gt_masks_per_frame[t])
                point_inputs = {"point_coords": points, "point_labels": labels}
            else:
                method = "uniform" if self.training else self.pt_sampling_for_eval
                points, labels = get_next_point(gt_masks_per_frame[t], None, method=method)
                point_inputs = {"point_coords": points, "point_labels": labels}
            backbone_out["point_inputs_per_frame"][t] = point_inputs

        if not use_pt_input:
            frames_to_correct = []
        elif num_to_correct == num_init:
            frames_to_correct = init_cond_frames
        else:
            extra = num_to_correct - num_init
            frames_to_correct = init_cond_frames + self.rng.choice(
                backbone_out["frames_not_in_init_cond"], extra, replace=False
            ).tolist()
        backbone_out["frames_to_add_correction_pt"] = frames_to_correct
        return backbone_out
