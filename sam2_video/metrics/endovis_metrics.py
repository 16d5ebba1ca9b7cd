"""EndoVis instrument-type metrics over classes 1..K, from per-class pixel counts.

Per frame, with ``I_c = |P_c & G_c|`` and ``U_c = |P_c | G_c|`` for the class masks (the union
of the object masks of class ``c``):

- Challenge IoU: mean of ``I_c / U_c`` over classes present in the GT; frames without any GT
  class are skipped. The dataset value is the mean over scored frames.
- IoU: mean of ``I_c / U_c`` over classes present in the GT or the prediction; frames where both
  are empty are skipped. Dataset value: mean over scored frames.
- mcIoU: per class, mean of ``I_c / U_c`` over the frames where the class is in the GT or the
  prediction; then the mean over classes that occurred.
- ternaus Dice / Jaccard (ternaus/robot-surgery-segmentation ``general_dice``): a frame with an
  empty GT (no class at all) scores 1 if the prediction is empty else 0; otherwise the mean of
  ``2I / (|P| + |G|)`` (resp. ``I / U``) over the classes present in the GT. Mean over frames.

Everything is vectorised over a leading threshold axis ``K`` (K=1 for a plain evaluation), so
the threshold search reuses the same accumulator.
"""

from __future__ import annotations

import numpy as np


def class_masks(masks: np.ndarray, categories: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
    """Union of object masks per class: masks (O, H, W) bool, categories (O,) -> (C, H, W) bool."""
    out = np.zeros((len(class_ids),) + masks.shape[1:], dtype=bool)
    for i, c in enumerate(class_ids):
        sel = categories == c
        if sel.any():
            np.any(masks[sel], axis=0, out=out[i])
    return out


def class_counts(pred_cls: np.ndarray, gt_cls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intersection, pred area, gt area), each (C,) int64, of (C, H, W) bool class masks."""
    flat_p = pred_cls.reshape(pred_cls.shape[0], -1)
    flat_g = gt_cls.reshape(gt_cls.shape[0], -1)
    inter = np.count_nonzero(flat_p & flat_g, axis=1).astype(np.int64)
    return inter, np.count_nonzero(flat_p, axis=1).astype(np.int64), np.count_nonzero(flat_g, axis=1).astype(np.int64)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.maximum(b, 1), np.nan)


class EndoVisAccumulator:
    """Running sums for the EndoVis metrics; ``add`` takes (K, C) count arrays (K thresholds)."""

    def __init__(self, num_classes: int, num_thresholds: int = 1) -> None:
        shape_kc = (num_thresholds, num_classes)
        self.challenge_sum = np.zeros(num_thresholds)
        self.challenge_n = np.zeros(num_thresholds, dtype=np.int64)
        self.iou_sum = np.zeros(num_thresholds)
        self.iou_n = np.zeros(num_thresholds, dtype=np.int64)
        self.class_iou_sum = np.zeros(shape_kc)
        self.class_iou_n = np.zeros(shape_kc, dtype=np.int64)
        self.dice_sum = np.zeros(num_thresholds)
        self.jac_sum = np.zeros(num_thresholds)
        self.frames = 0

    def add(self, inter: np.ndarray, pred_area: np.ndarray, gt_area: np.ndarray) -> None:
        """Add one frame: ``inter``/``pred_area`` (K, C) or (C,), ``gt_area`` (C,)."""
        inter = np.atleast_2d(inter).astype(np.float64)
        pred_area = np.atleast_2d(pred_area).astype(np.float64)
        gt_area = np.asarray(gt_area, dtype=np.float64)[None, :]
        union = pred_area + gt_area - inter
        ious = _safe_div(inter, union)  # (K, C), NaN where the class is in neither
        in_gt = np.broadcast_to(gt_area > 0, ious.shape)
        present = union > 0
        # challenge IoU: classes in GT
        n_gt = in_gt.sum(axis=1)
        ch = np.where(in_gt, ious, 0.0).sum(axis=1)
        ok = n_gt > 0
        self.challenge_sum[ok] += ch[ok] / n_gt[ok]
        self.challenge_n += ok
        # IoU: classes in GT or prediction
        n_pr = present.sum(axis=1)
        s = np.where(present, ious, 0.0).sum(axis=1)
        ok = n_pr > 0
        self.iou_sum[ok] += s[ok] / n_pr[ok]
        self.iou_n += ok
        # mcIoU: per class over frames where it is in GT or prediction
        self.class_iou_sum += np.where(present, ious, 0.0)
        self.class_iou_n += present
        # ternaus Dice / Jaccard: empty GT frame -> 1 if the prediction is empty else 0
        dice = np.where(in_gt, _safe_div(2 * inter, pred_area + gt_area), 0.0).sum(axis=1)
        jac = np.where(in_gt, ious, 0.0).sum(axis=1)
        pred_empty = (pred_area.sum(axis=1) == 0).astype(np.float64)
        gt_frame_empty = n_gt == 0
        self.dice_sum += np.where(gt_frame_empty, pred_empty, dice / np.maximum(n_gt, 1))
        self.jac_sum += np.where(gt_frame_empty, pred_empty, jac / np.maximum(n_gt, 1))
        self.frames += 1

    def merge(self, other: "EndoVisAccumulator") -> None:
        """Add ``other``'s sums (e.g. per-video accumulators into the overall one)."""
        for name in ("challenge_sum", "challenge_n", "iou_sum", "iou_n", "class_iou_sum",
                     "class_iou_n", "dice_sum", "jac_sum"):
            getattr(self, name).__iadd__(getattr(other, name))
        self.frames += other.frames

    def per_class_iou(self) -> np.ndarray:
        """(K, C) mean IoU per class over frames where it occurred; NaN if it never occurred."""
        return _safe_div(self.class_iou_sum, self.class_iou_n)

    def result(self) -> dict[str, np.ndarray]:
        """Metric name -> (K,) array: challenge_iou, iou, mciou, dice, jaccard (NaN if undefined)."""
        per_class = self.per_class_iou()
        with np.errstate(invalid="ignore"):
            occurred = self.class_iou_n > 0
            n_occ = occurred.sum(axis=1)
            mciou = np.where(n_occ > 0, np.where(occurred, per_class, 0.0).sum(axis=1) / np.maximum(n_occ, 1), np.nan)
            frames = np.full(len(mciou), self.frames)
        return {
            "challenge_iou": _safe_div(self.challenge_sum, self.challenge_n),
            "iou": _safe_div(self.iou_sum, self.iou_n),
            "mciou": mciou,
            "dice": _safe_div(self.dice_sum, frames),
            "jaccard": _safe_div(self.jac_sum, frames),
        }
