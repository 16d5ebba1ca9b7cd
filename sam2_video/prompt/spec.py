"""The one prompt specification (config group ``prompt``), read by training, validation and evaluation.

``PromptSpec`` says how every first-frame prompt is made:
- ``kind`` (``point`` | ``box`` | ``mask`` | ``auto``): the prompt of validation during training AND of
  the full-video evaluation, on the frame where each object first appears; ``auto`` = no user input
  (a learned prompt encoder supplies it);
- the point / box sampling shared by all three (``num_pos_points``, ``num_neg_points``, ``include_center``,
  ``neg_region`` ..., see :mod:`sam2_video.prompt.sampler`); ``box_jitter`` applies to validation and
  evaluation boxes (0 = the tight box), ``train.box_jitter`` to training boxes (Meta: 10 %);
- ``train`` (:class:`TrainPrompting`): the training mix of kinds and Meta's ``SAM2Train`` knobs
  (extra conditioning frames, correction clicks);
- ``seed``: validation / evaluation prompts of (video, object, frame) are drawn from a generator seeded
  by ``(seed, crc32(video), object, frame)`` (:meth:`PromptSpec.rng`), so they never depend on the order
  things are visited and validation clips starting on an evaluation prompt frame get the same clicks.

Bad values raise a one-line ``ConfigError`` naming ``prompt.<key>``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

import numpy as np

from sam2_video.errors import ConfigError
from sam2_video.typed_node import node_values
from sam2_video.prompt.frame_prompt import PROMPT_KINDS, FramePrompt
from sam2_video.prompt.sampler import PromptGenerator

NEG_REGIONS = ("band", "box", "image")


def _bad(key: str, value: Any, why: str) -> ConfigError:
    return ConfigError(f"prompt.{key}={value!r}: {why}")


@dataclass(frozen=True)
class KindProbabilities:
    """A training mix in the form ``SAM2Train`` draws it (one uniform draw u per batch):
    point / box input when ``u < point_or_box``; no input (``auto``) when ``point_or_box <= u <
    point_or_box + auto``; the GT mask otherwise. Box vs point: a second draw against ``box``."""

    point_or_box: float  # Meta's prob_to_use_pt_input
    box: float  # Meta's prob_to_use_box_input: P(box | point or box)
    auto: float  # P(no input)


def kind_probabilities(mix: Mapping[str, float], key: str = "train.mix") -> KindProbabilities:
    """``{point: a, box: b, mask: c, auto: d}`` (missing kinds = 0, normalised) -> :class:`KindProbabilities`."""
    unknown = sorted(set(mix) - set(PROMPT_KINDS))
    if unknown:
        raise _bad(key, dict(mix), f"unknown kinds {unknown}; use {list(PROMPT_KINDS)}")
    p = {k: float(mix.get(k, 0.0)) for k in PROMPT_KINDS}
    total = sum(p.values())
    if min(p.values()) < 0 or total <= 0:
        raise _bad(key, dict(mix), "weights must be >= 0 and at least one > 0")
    pt = p["point"] + p["box"]
    return KindProbabilities(point_or_box=pt / total, box=p["box"] / pt if pt > 0 else 0.0, auto=p["auto"] / total)


@dataclass(frozen=True)
class TrainPrompting:
    """Training-time prompting: which kind each batch gets, and Meta's ``SAM2Train`` knobs."""

    mix: Mapping[str, float] = field(default_factory=lambda: {"point": 0.25, "box": 0.25, "mask": 0.5})
    box_jitter: float = 0.1  # training boxes: each side moved by up to 10 % of the side (Meta)
    num_init_cond_frames: int = 2  # random 1..N initial conditioning frames
    num_frames_to_correct: int = 2  # correction clicks on random N_init..N frames (point / box input)
    num_correction_pt_per_frame: int = 7
    prob_to_sample_from_gt: float = 0.1
    add_all_frames_to_correct_as_cond: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "mix", {str(k): float(v) for k, v in dict(self.mix).items()})
        kind_probabilities(self.mix)
        if not 0.0 <= float(self.box_jitter) <= 1.0:
            raise _bad("train.box_jitter", self.box_jitter, "use a fraction of the box side in [0, 1]")
        if int(self.num_init_cond_frames) < 1:
            raise _bad("train.num_init_cond_frames", self.num_init_cond_frames, "use >= 1")
        if int(self.num_frames_to_correct) < int(self.num_init_cond_frames):
            raise _bad("train.num_frames_to_correct", self.num_frames_to_correct,
                       f"must be >= prompt.train.num_init_cond_frames ({self.num_init_cond_frames}), "
                       "as SAM2Train requires")
        if int(self.num_correction_pt_per_frame) < 0:
            raise _bad("train.num_correction_pt_per_frame", self.num_correction_pt_per_frame, "use >= 0")
        if not 0.0 <= float(self.prob_to_sample_from_gt) <= 1.0:
            raise _bad("train.prob_to_sample_from_gt", self.prob_to_sample_from_gt, "use a probability in [0, 1]")

    def probabilities(self) -> KindProbabilities:
        return kind_probabilities(self.mix)

    def sam2train_kwargs(self) -> dict[str, Any]:
        """Meta's ``SAM2Train`` constructor arguments for this training prompting (``auto`` excluded)."""
        p = self.probabilities()
        return {
            "prob_to_use_pt_input_for_train": p.point_or_box,
            "prob_to_use_box_input_for_train": p.box,
            "num_init_cond_frames_for_train": int(self.num_init_cond_frames),
            "num_frames_to_correct_for_train": int(self.num_frames_to_correct),
            "num_correction_pt_per_frame": int(self.num_correction_pt_per_frame),
            "prob_to_sample_from_gt_for_train": float(self.prob_to_sample_from_gt),
            "add_all_frames_to_correct_as_cond": bool(self.add_all_frames_to_correct_as_cond),
        }


@dataclass(frozen=True)
class PromptSpec:
    """How prompts are made everywhere (see the module docstring; configs/prompt/default.yaml)."""

    kind: str = "mask"
    num_pos_points: int = 1
    num_neg_points: int = 0
    include_center: bool = True
    box_jitter: float = 0.0
    box_jitter_max_px: float = 20.0
    neg_region: str = "band"
    neg_band_frac: float = 0.2
    neg_band_min_px: int = 4
    seed: int = 0
    train: TrainPrompting = field(default_factory=TrainPrompting)

    def __post_init__(self) -> None:
        if isinstance(self.train, Mapping):
            object.__setattr__(self, "train", TrainPrompting(**self.train))
        if self.kind not in PROMPT_KINDS:
            raise _bad("kind", self.kind, f"use one of {list(PROMPT_KINDS)}")
        for key in ("num_pos_points", "num_neg_points", "neg_band_min_px"):
            if int(getattr(self, key)) < 0:
                raise _bad(key, getattr(self, key), "use an integer >= 0")
        uses_points = self.kind == "point" or self.train.mix.get("point", 0.0) > 0
        if uses_points and int(self.num_pos_points) + int(bool(self.include_center)) == 0:
            raise _bad("num_pos_points", self.num_pos_points,
                       "point prompts need num_pos_points >= 1 or include_center=true")
        if not 0.0 <= float(self.box_jitter) <= 1.0:
            raise _bad("box_jitter", self.box_jitter, "use a fraction of the box side in [0, 1] (0 = tight box)")
        if float(self.box_jitter_max_px) < 0:
            raise _bad("box_jitter_max_px", self.box_jitter_max_px, "use a number of pixels >= 0")
        if self.neg_region not in NEG_REGIONS:
            raise _bad("neg_region", self.neg_region, f"use one of {list(NEG_REGIONS)}")
        if not 0.0 < float(self.neg_band_frac) <= 1.0:
            raise _bad("neg_band_frac", self.neg_band_frac, "use a fraction in (0, 1]")

    @classmethod
    def from_config(cls, node: Mapping[str, Any]) -> "PromptSpec":
        """Build from the ``prompt`` node (a plain mapping; ``_target_`` / ``_convert_`` ignored)."""
        values = node_values(cls, node, "prompt")
        if isinstance(values.get("train"), Mapping):
            values["train"] = TrainPrompting(**node_values(TrainPrompting, values["train"], "prompt.train"))
        return cls(**values)

    def record(self) -> dict[str, Any]:
        """The validation / evaluation prompt settings as plain values (what an evaluation summary records;
        ``train`` left out: the evaluation does not use it)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "train"}

    # ------------------------------------------------------------------------------------- sampling
    def sampler(self, train: bool = False) -> PromptGenerator:
        """The point / box sampler; ``train`` selects the training box jitter."""
        return PromptGenerator(
            num_pos_points=self.num_pos_points, num_neg_points=self.num_neg_points,
            include_center=self.include_center,
            box_jitter=self.train.box_jitter if train else self.box_jitter,
            box_jitter_max_px=self.box_jitter_max_px, neg_region=self.neg_region,  # type: ignore[arg-type]
            neg_band_frac=self.neg_band_frac, neg_band_min_px=self.neg_band_min_px, seed=self.seed,
        )

    def rng(self, video_id: str, object_id: int, frame: int) -> np.random.Generator:
        """The generator of the validation / evaluation prompt of (video, object, frame)."""
        return np.random.default_rng([int(self.seed) & 0xFFFFFFFF, zlib.crc32(str(video_id).encode()),
                                      int(object_id) & 0xFFFFFFFF, int(frame) & 0xFFFFFFFF])

    def clip_prompts(self, masks: np.ndarray, video_id: str, object_ids: list[int], frames: list[int],
                     sampler: PromptGenerator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validation clips: the points and box of each object drawn exactly as :meth:`frame_prompt` draws
        them (same generator per (video, object, frame)), padded to fixed rows for batching.

        ``masks`` (N, H, W) bool -> coords (N, P, 2) float32, labels (N, P) int32 (-1 padding), boxes (N, 4).
        """
        sampler = sampler or self.sampler(train=False)
        n = len(masks)
        coords = np.zeros((n, sampler.num_points, 2), dtype=np.float32)
        labels = np.full((n, sampler.num_points), -1, dtype=np.int32)
        boxes = np.zeros((n, 4), dtype=np.float32)
        for i, (m, oid, f) in enumerate(zip(masks, object_ids, frames)):
            coords[i], labels[i] = sampler.points(m, self.rng(video_id, oid, f))
            boxes[i] = sampler.box(m, self.rng(video_id, oid, f), jitter=self.box_jitter > 0)
        return coords, labels, boxes

    def frame_prompt(self, mask: np.ndarray, video_id: str, object_id: int, frame: int,
                     sampler: PromptGenerator | None = None) -> FramePrompt:
        """The validation / evaluation prompt of ``kind`` for a (H, W) GT mask of (video, object, frame).

        ``mask`` kind, or an empty mask (object absent), gives a mask prompt; ``auto`` gives no input.
        Point prompts drop padding rows (e.g. negatives when there is no background).
        """
        if self.kind == "auto":
            return FramePrompt("auto")
        mask = np.asarray(mask, dtype=bool)
        if self.kind == "mask" or not mask.any():
            return FramePrompt("mask", mask=mask)
        sampler = sampler or self.sampler(train=False)
        rng = self.rng(video_id, object_id, frame)
        if self.kind == "box":
            return FramePrompt("box", box=sampler.box(mask, rng, jitter=self.box_jitter > 0))
        coords, labels = sampler.points(mask, rng)
        keep = labels >= 0
        return FramePrompt("point", points=coords[keep], labels=labels[keep])
