"""Clip-level validation metrics during training, scored exactly as the full-video evaluation scores.

The same threshold, non-overlap rule, boundary tolerance and frame protocol as ``eval`` (the module
config interpolates ``eval.threshold``, ``eval.non_overlap``, ``eval.skip_first_last``,
``eval.bound_th``), through the evaluation's own code: :class:`~sam2_video.metrics.scoring.ThresholdScorer`
(threshold + non-overlap among the objects of a clip), :func:`~sam2_video.metrics.aggregate.object_frame_scored`
(with ``skip_first_last`` an object is scored after its prompt frame and before the clip's last frame)
and the per-object pooling of :mod:`sam2_video.metrics.aggregate`. Each (clip, object) is one object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from sam2_video.metrics.aggregate import ObjectAccumulator, object_frame_scored, pool_objects
from sam2_video.metrics.metrics import DEFAULT_BOUND_TH
from sam2_video.metrics.scoring import ThresholdScorer
from sam2_video.errors import ConfigError

VAL_KEYS = {"jf": "JF", "j": "J", "f": "F", "dice": "dice", "iou": "iou", "j_recall": "J_recall"}


@dataclass(frozen=True)
class ValidationProtocol:
    """How validation clips are scored (the evaluation's settings; see configs/module/default.yaml)."""

    threshold: float = 0.5  # on probabilities: mask = sigmoid(logit) > threshold
    non_overlap: bool = True  # one object per pixel within a clip (highest logit wins)
    skip_first_last: bool = True  # DAVIS protocol: drop each object's prompt frame (and before) and the last frame
    bound_th: float = DEFAULT_BOUND_TH  # F tolerance (fraction of the diagonal, >= 1: pixels)

    def __post_init__(self) -> None:
        if not 0.0 < float(self.threshold) < 1.0:
            raise ConfigError(f"eval.threshold={self.threshold}: validation needs a probability in (0, 1), e.g. 0.5")


class ClipMetricAccumulator:
    """J, F, J&F, Dice, IoU, J-recall over the validation clips of an epoch (see module doc)."""

    def __init__(self, protocol: ValidationProtocol = ValidationProtocol()) -> None:
        self.protocol = protocol
        self.scorer = ThresholdScorer([protocol.threshold], non_overlap=protocol.non_overlap,
                                      bound_th=protocol.bound_th)
        self.reset()

    def reset(self) -> None:
        self._objects: list[ObjectAccumulator] = []

    def update(self, logits: torch.Tensor, gt: np.ndarray, obj_to_clip: np.ndarray, category_ids: np.ndarray,
               clip_ids: list[str], prompt_frames: np.ndarray) -> None:
        """``logits``: (T, O, H, W) float mask logits; ``gt``: (T, O, H, W) bool; ``obj_to_clip``,
        ``category_ids``, ``prompt_frames``: (O,) (the clip frame each object was prompted on)."""
        num_frames = logits.shape[0]
        for b, clip_id in enumerate(clip_ids):
            objs = np.flatnonzero(obj_to_clip == b)
            if not objs.size:
                continue
            accs = [ObjectAccumulator(clip_id, int(o), int(category_ids[o])) for o in objs]
            for t in range(num_frames):
                scored = [object_frame_scored(t, num_frames, int(prompt_frames[o]), (int(prompt_frames[o]),),
                                              self.protocol.skip_first_last) for o in objs]
                if not any(scored):
                    continue
                q = self.scorer.quantize(logits[t, torch.as_tensor(objs, device=logits.device)])
                s = self.scorer.score(q, gt[t, objs], category_ids[objs])
                for i, acc in enumerate(accs):
                    if scored[i]:
                        acc.add(s.j[i], s.f[i], s.dice[i], s.iou[i])
            self._objects.extend(accs)

    def compute(self) -> dict[str, float]:
        """``jf``, ``j``, ``f``, ``dice``, ``iou``, ``j_recall`` (0 when nothing was scored)."""
        pooled = pool_objects([o.result() for o in self._objects if o.n])
        if not pooled:
            return {key: 0.0 for key in VAL_KEYS}
        return {key: float(np.nan_to_num(pooled[name][0])) for key, name in VAL_KEYS.items()}
