"""The difficult-frames regression set (seed 004's QA suite).

A CSV lists (video, frame) pairs, header ``video_id,frame`` (more columns, e.g. ``note``, are kept)::

    video_id,frame,note
    video_003,17,smoke
    video_007,4,occlusion

A run with ``stream.difficult_frames=<csv>`` streams only the listed videos (up to their last listed
frame) and scores only the listed pairs: per pair J, F, J&F, Dice and IoU (mean over the objects of
that frame), written to ``difficult_frames.json``. With ``stream.compare_to=<earlier
difficult_frames.json>`` each pair is compared with the earlier result; a pair whose J&F dropped by
more than ``stream.regression_tol`` is a regression (listed, logged one line each).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from loguru import logger

from sam2_video.errors import ConfigError

METRICS = ("J", "F", "JF", "dice", "iou")


@dataclass
class DifficultFrames:
    path: Path
    pairs: dict[str, set[int]]  # video id -> frames
    notes: dict[tuple[str, int], str]

    @classmethod
    def load(cls, path: str | Path) -> "DifficultFrames":
        path = Path(path)
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except OSError:
            raise ConfigError(f"{path}: difficult-frames list not found; pass stream.difficult_frames=<pairs.csv>") from None
        pairs: dict[str, set[int]] = {}
        notes = {}
        for n, row in enumerate(rows, start=2):
            try:
                vid, frame = str(row["video_id"]).strip(), int(row["frame"])
            except (KeyError, TypeError, ValueError):
                raise ConfigError(f"{path}: line {n}: expected columns video_id,frame with an integer frame") from None
            pairs.setdefault(vid, set()).add(frame)
            notes[(vid, frame)] = str(row.get("note") or "")
        if not pairs:
            raise ConfigError(f"{path}: no (video_id, frame) pairs listed")
        return cls(path, pairs, notes)

    def select(self, videos: Sequence) -> list:
        """The videos of the list, in the index's order (unknown ids: ConfigError)."""
        known = {v.video_id for v in videos}
        missing = sorted(set(self.pairs) - known)
        if missing:
            raise ConfigError(f"{self.path}: video(s) {missing[:5]} are not in the evaluated split")
        return [v for v in videos if v.video_id in self.pairs]

    def frames_of(self, video_id: str) -> set[int]:
        return self.pairs.get(video_id, set())

    def pair_rows(self, video_id: str, frame: int, scores: Mapping[int, Mapping[str, float]]) -> list[dict]:
        """One row for a listed pair: the metrics averaged over the objects present in GT or prediction."""
        vals = {m: [] for m in METRICS}
        for s in scores.values():
            if s.get("iou") is None or (isinstance(s["iou"], float) and math.isnan(s["iou"])):
                continue  # object absent from both: nothing to score
            for m in ("J", "F", "dice", "iou"):
                vals[m].append(float(s[m]))
            vals["JF"].append((float(s["J"]) + float(s["F"])) / 2)
        row = {"video_id": video_id, "frame": frame, "note": self.notes.get((video_id, frame), "")}
        row.update({m: float(np.mean(v)) if v else float("nan") for m, v in vals.items()})
        return [row]

    def result(self, rows: list[dict]) -> dict:
        done = {(r["video_id"], r["frame"]) for r in rows}
        missing = [{"video_id": v, "frame": f} for v, fs in self.pairs.items() for f in sorted(fs) if (v, f) not in done]
        for m in missing:
            logger.warning(f"{self.path}: pair {m['video_id']} frame {m['frame']} was not scored "
                           "(beyond the video or not decodable)")
        mean = {m: float(np.nanmean([r[m] for r in rows])) if rows else float("nan") for m in METRICS}
        return {"list": str(self.path), "num_pairs": len(rows), "mean": mean, "pairs": rows, "missing": missing}


def compare_results(current: dict, earlier_path: str | Path, tol: float) -> dict:
    """Pairs of ``current`` whose J&F dropped by more than ``tol`` vs the earlier difficult_frames.json."""
    path = Path(earlier_path)
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
        before = {(r["video_id"], int(r["frame"])): r for r in earlier["pairs"]}
    except OSError:
        raise ConfigError(f"{path}: earlier result not found; pass stream.compare_to=<run>/difficult_frames.json") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{path}: not a difficult_frames.json written by a stream run") from None
    regressions, improved, compared = [], 0, 0
    for r in current["pairs"]:
        old = before.get((r["video_id"], r["frame"]))
        if old is None or old.get("JF") is None or math.isnan(r["JF"]):
            continue
        compared += 1
        delta = r["JF"] - float(old["JF"])
        if delta < -tol:
            regressions.append({"video_id": r["video_id"], "frame": r["frame"], "note": r.get("note", ""),
                                "JF_before": float(old["JF"]), "JF_now": r["JF"], "delta": delta})
            logger.warning(f"regression: {r['video_id']} frame {r['frame']}: J&F {float(old['JF']):.4f} -> "
                           f"{r['JF']:.4f} ({delta:+.4f})")
        elif delta > tol:
            improved += 1
    logger.info(f"difficult frames vs {path}: {compared} pairs compared, {len(regressions)} regressed, "
                f"{improved} improved (tolerance {tol})")
    return {"earlier": str(path), "compared": compared, "regressions": regressions, "improved": improved,
            "tolerance": tol}
