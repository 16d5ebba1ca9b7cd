"""Meta's ``SAM2Train`` with first-frame prompts supplied by our data pipeline, and the ``auto`` kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Optional, Sequence

import numpy as np
import torch
from sam2.modeling.sam2_utils import get_next_point, sample_box_points
from training.model.sam2 import SAM2Train
from training.utils.data_utils import BatchedVideoDatapoint

from sam2_video.model.feature_cache import FeatureCache
from sam2_video.prompt import PROMPT_KINDS, PromptKind


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


@dataclass(frozen=True)
class _KindDecision:
    use_pt_input: bool  # point or box input (Meta's use_pt_input)
    auto: bool  # no input at all on the conditioning frames
    forced_box: Optional[bool]  # None: draw box vs point per frame as Meta does


class SAM2VideoTrainer(SAM2Train):
    """``SAM2Train`` whose first-frame point / box prompts come from the batch.

    The random decisions (point vs mask input, box vs point, number of initial conditioning frames,
    frames receiving correction clicks) are drawn from ``self.rng`` (seeded by ``seed``) in exactly
    the order Meta's ``SAM2Train.prepare_prompt_inputs`` draws them, so with the same prompts and
    seeds the forward pass equals Meta's. Additional conditioning frames and correction clicks are
    sampled from the ground truth by Meta's own helpers.

    Kind ``auto`` (no user prompt): the initial conditioning frames get neither points nor a mask,
    so SAM2 decodes them from its ``no_mask_embed`` / padding point (or from a learned prompt hooked
    into ``_forward_sam_heads``). In training it is drawn from the same uniform number as Meta's
    point-vs-mask decision (``u < p_pt``: point / box; ``p_pt <= u < p_pt + prob_to_use_auto_input``:
    auto), so a mix without ``auto`` draws exactly Meta's sequence.

    ``feature_cache``: reuse frozen image-encoder features of frames seen before, identified by the
    ``frame_keys`` passed to ``forward``.

    Eval-mode forwards (validation, validation pictures) draw from ``self.eval_rng``, never from
    ``self.rng``: how often a run validates cannot shift training's draws. ``reset_eval_rng()``
    reseeds it (the training module does so at every validation, so a validation is a function of
    the weights alone).
    """

    def __init__(self, *args, prob_to_use_auto_input_for_train: float = 0.0, seed: int = 42,
                 feature_cache: Optional[FeatureCache] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prob_to_use_auto_input_for_train = float(prob_to_use_auto_input_for_train)
        self.prob_to_use_auto_input_for_eval = 0.0
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)  # training draws. Meta: a fixed 42; ours: the run's seed
        self.eval_rng = np.random.default_rng(seed)  # eval-mode draws (Meta uses one generator for both)
        self.feature_cache = feature_cache

    @property
    def draw_rng(self) -> np.random.Generator:
        """The generator of this forward's random decisions: ``rng`` in training mode, else ``eval_rng``."""
        return self.rng if self.training else self.eval_rng

    def reset_eval_rng(self) -> None:
        """Reseed the eval-mode generator with the model's seed."""
        self.eval_rng = np.random.default_rng(self.seed)

    def forward(  # type: ignore[override]
        self,
        input: BatchedVideoDatapoint,
        prompts: Optional[FirstFramePrompts] = None,
        prompt_kind: Optional[PromptKind] = None,
        frame_keys: Optional[Sequence[Hashable]] = None,
        categories: Optional[torch.Tensor] = None,
    ) -> list[dict]:
        """Track a batch of clips (Meta's ``SAM2Train.forward`` with the inputs passed explicitly).

        ``prompts``: first-frame points / boxes (None: Meta's samplers); ``prompt_kind``: force the
        kind (None: draw it from the training mix); ``frame_keys``: one key per image of
        ``input.flat_img_batch`` (clip-major: clip b, frame t at ``b * T + t``), for the feature cache;
        ``categories``: (O,) category id of every object, handed to ``prepare_prompt_inputs`` for a learned
        prompt on conditioning frames without input (kind ``auto``; unused by this class).
        """
        if prompt_kind is not None and prompt_kind not in PROMPT_KINDS:
            raise ValueError(f"unknown prompt kind {prompt_kind!r}; use one of {PROMPT_KINDS}")
        if self.training or not self.forward_backbone_per_frame_for_eval:
            backbone_out = self.encode_frames(input.flat_img_batch, frame_keys)
        else:  # Meta: image features computed per frame while tracking
            backbone_out = {"backbone_fpn": None, "vision_pos_enc": None}
        backbone_out = self.prepare_prompt_inputs(backbone_out, input, prompts=prompts, prompt_kind=prompt_kind,
                                                  categories=categories)
        return self.forward_tracking(backbone_out, input)

    def encode_frames(self, img_batch: torch.Tensor, frame_keys: Optional[Sequence[Hashable]] = None) -> dict:
        """``forward_image`` of (N, 3, S, S) frames, the encoder output read from the feature cache
        when one is set and ``frame_keys`` (N keys) identify the frames."""
        if self.feature_cache is None or frame_keys is None:
            return self.forward_image(img_batch)
        if len(frame_keys) != img_batch.shape[0]:
            raise ValueError(f"{len(frame_keys)} frame keys for {img_batch.shape[0]} frames")
        backbone_out = self.feature_cache.encode(self.image_encoder, img_batch, frame_keys)
        if self.use_high_res_features_in_sam:  # as in SAM2Base.forward_image
            backbone_out["backbone_fpn"][0] = self.sam_mask_decoder.conv_s0(backbone_out["backbone_fpn"][0])
            backbone_out["backbone_fpn"][1] = self.sam_mask_decoder.conv_s1(backbone_out["backbone_fpn"][1])
        return backbone_out

    def _decide_kind(self, prob_pt: float, prob_auto: float, prompt_kind: Optional[str]) -> _KindDecision:
        # The draw is made even when the kind is forced, so that forced and sampled runs consume
        # ``self.rng`` identically (and match Meta's sequence of draws).
        u = self.draw_rng.random()
        if prompt_kind is None:
            use_pt = bool(u < prob_pt)
            return _KindDecision(use_pt, not use_pt and bool(u < prob_pt + prob_auto), None)
        return _KindDecision(prompt_kind in ("point", "box"), prompt_kind == "auto",
                             prompt_kind == "box" if prompt_kind in ("point", "box") else None)

    def prepare_prompt_inputs(self, backbone_out, input, start_frame_idx=0, *,
                              prompts: Optional[FirstFramePrompts] = None, prompt_kind: Optional[str] = None,
                              categories: Optional[torch.Tensor] = None):
        """Prepare mask / point / box inputs on the initial conditioning frames (see class doc).

        ``categories`` (O,) is for subclasses that prompt the bare (``auto``) frames with a learned prompt."""
        gt_masks_per_frame = {t: m.unsqueeze(1) for t, m in enumerate(input.masks)}  # (O, 1, H, W)
        backbone_out["gt_masks_per_frame"] = gt_masks_per_frame
        num_frames = input.num_frames
        backbone_out["num_frames"] = num_frames
        mode = "train" if self.training else "eval"
        prob_pt = getattr(self, f"prob_to_use_pt_input_for_{mode}")
        prob_auto = getattr(self, f"prob_to_use_auto_input_for_{mode}")
        prob_box = getattr(self, f"prob_to_use_box_input_for_{mode}")
        num_to_correct = getattr(self, f"num_frames_to_correct_for_{mode}")
        rand_to_correct = getattr(self, f"rand_frames_to_correct_for_{mode}")
        num_init = getattr(self, f"num_init_cond_frames_for_{mode}")
        rand_init = getattr(self, f"rand_init_cond_frames_for_{mode}")
        if num_frames == 1:
            prob_pt, num_to_correct, num_init = 1.0, 1, 1
        rng = self.draw_rng
        kind = self._decide_kind(prob_pt, prob_auto, prompt_kind)
        if rand_init and num_init > 1:
            num_init = rng.integers(1, num_init, endpoint=True)
        if kind.use_pt_input and rand_to_correct and num_to_correct > num_init:
            num_to_correct = rng.integers(num_init, num_to_correct, endpoint=True)
        backbone_out["use_pt_input"] = kind.use_pt_input

        init_cond_frames = [start_frame_idx]
        if num_init > 1:
            init_cond_frames += rng.choice(
                range(start_frame_idx + 1, num_frames), num_init - 1, replace=False
            ).tolist()
        backbone_out["init_cond_frames"] = init_cond_frames
        backbone_out["frames_not_in_init_cond"] = [
            t for t in range(start_frame_idx, num_frames) if t not in init_cond_frames
        ]
        backbone_out["mask_inputs_per_frame"] = {}
        backbone_out["point_inputs_per_frame"] = {}
        for t in init_cond_frames:
            if kind.auto:
                continue  # no input: SAM2 (or a learned prompt) decodes the frame unprompted
            if not kind.use_pt_input:
                backbone_out["mask_inputs_per_frame"][t] = gt_masks_per_frame[t]
                continue
            sampled_box = bool(rng.random() < prob_box)
            use_box = sampled_box if kind.forced_box is None else kind.forced_box
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

        if not kind.use_pt_input:
            frames_to_correct = []
        elif num_to_correct == num_init:
            frames_to_correct = init_cond_frames
        else:
            extra = num_to_correct - num_init
            frames_to_correct = init_cond_frames + rng.choice(
                backbone_out["frames_not_in_init_cond"], extra, replace=False
            ).tolist()
        backbone_out["frames_to_add_correction_pt"] = frames_to_correct
        return backbone_out
