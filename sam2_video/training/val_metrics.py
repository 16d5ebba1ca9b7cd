"""Clip-level validation metrics (J, F, J&F, Dice, IoU, J-recall) accumulated over an epoch."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sam2_video.eval.metrics import boundary_f_measure, dice, region_similarity


class ClipMetricAccumulator:
    """DAVIS-style scores on validation clips: per object mean over scored frames, then means.

    Frame 0 carries the prompt and is never scored; the last frame is excluded too unless
    ``score_first_last`` (then only frame 0 is dropped). J&F = (mean_obj J + mean_obj F) / 2.
    """

    def __init__(self, score_first_last: bool = False) -> None:
        self.score_first_last = score_first_last
        self.reset()

    def reset(self) -> None:
        self._per_object: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))

    def update(self, pred: np.ndarray, gt: np.ndarray, obj_to_clip: np.ndarray,
               category_ids: np.ndarray, clip_ids: list[str]) -> None:
        """``pred``, ``gt``: (T, O, H, W) bool; ``obj_to_clip``, ``category_ids``: (O,)."""
        num_frames = pred.shape[0]
        stop = num_frames if self.score_first_last else num_frames - 1
        frames = range(1, stop) if num_frames > 2 else range(1, num_frames)
        for o in range(pred.shape[1]):
            key = (clip_ids[int(obj_to_clip[o])], o)
            store = self._per_object[key]
            for t in frames:
                p, g = pred[t, o], gt[t, o]
                j = region_similarity(p, g)
                store["j"].append(j)
                store["f"].append(boundary_f_measure(p, g))
                store["dice"].append(dice(p, g))

    def compute(self) -> dict[str, float]:
        """Return ``jf``, ``j``, ``f``, ``dice``, ``iou``, ``j_recall`` (0 when nothing was scored)."""
        objs = [v for v in self._per_object.values() if v["j"]]
        if not objs:
            return {"jf": 0.0, "j": 0.0, "f": 0.0, "dice": 0.0, "iou": 0.0, "j_recall": 0.0}
        j = float(np.mean([np.mean(o["j"]) for o in objs]))
        f = float(np.mean([np.mean(o["f"]) for o in objs]))
        dice_mean = float(np.mean([np.mean(o["dice"]) for o in objs]))
        recall = float(np.mean([np.mean(np.asarray(o["j"]) > 0.5) for o in objs]))
        return {"jf": (j + f) / 2, "j": j, "f": f, "dice": dice_mean, "iou": j, "j_recall": recall}
