"""How a stream is seeded: ``seeder(t) -> {object id: FramePrompt}`` (empty on most frames).

- :class:`GtSeeder`: each object of a dataset video on its first ground-truth frame, with the
  evaluation's prompts (``prompt.kind`` ..., `sam2_video.eval.prompting`), exactly as
  ``baseline_eval.py`` prompts it;
- :func:`load_prompts_file`: a JSON prompts file, e.g.::

      {"frame": 0, "objects": {"1": {"box": [10, 12, 40, 50], "points": [[25, 30]], "labels": [1]},
                               "2": {"points": [[60, 20]]}, "3": {"mask": "obj3.png"}}}

  (``frame`` default 0; points default to positive; a mask path is relative to the JSON file);
- :func:`auto_seed`: one object (id 1) from the prompt-free encoder (``FramePrompt("auto")``) on frame 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from PIL import Image

from sam2_video.errors import ConfigError
from sam2_video.prompt import FramePrompt

Seeder = Callable[[int], Mapping[int, FramePrompt]]


class GtSeeder:
    """Prompts of a dataset video's objects on their first GT frame (``eval.runner.VideoPlan``)."""

    def __init__(self, plan, gt, factory) -> None:
        self.plan, self.gt, self.factory = plan, gt, factory
        self.index = {tid: i for i, tid in enumerate(plan.track_ids)}

    def __call__(self, t: int) -> dict[int, FramePrompt]:
        tids = self.plan.schedule.get(t, [])
        if not tids:
            return {}
        stack = self.gt(t)
        return {tid: self.factory(stack[self.index[tid]], self.plan.video_id, tid, t) for tid in tids}


def _prompt(entry: Mapping, where: str, base: Path) -> FramePrompt:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected an object with box / points / mask")
    if "mask" in entry:
        path = base / str(entry["mask"])
        if not path.is_file():
            raise ConfigError(f"{where}: mask file {path} not found (paths are relative to the prompts file)")
        return FramePrompt("mask", mask=np.array(Image.open(path).convert("L")) > 0)
    try:
        pts = np.asarray(entry.get("points", []), dtype=np.float32).reshape(-1, 2)
        labels = np.asarray(entry.get("labels", [1] * len(pts)), dtype=np.int32).reshape(-1)
        box = np.asarray(entry["box"], dtype=np.float32).reshape(4) if "box" in entry else None
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: box must be [x0, y0, x1, y1], points [[x, y], ...], labels [1|0, ...]") from None
    if len(labels) != len(pts):
        raise ConfigError(f"{where}: {len(pts)} points but {len(labels)} labels")
    if box is not None:
        return FramePrompt("box", box=box, points=pts if len(pts) else None, labels=labels if len(pts) else None)
    if not len(pts):
        raise ConfigError(f"{where}: give a box, points or a mask")
    return FramePrompt("point", points=pts, labels=labels)


def load_prompts_file(path: str | Path) -> Seeder:
    """A seeder from a JSON prompts file (see module doc)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ConfigError(f"{path}: prompts file not found; pass stream.prompts_file=<prompts.json>") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    objects = data.get("objects") if isinstance(data, dict) else None
    if not isinstance(objects, dict) or not objects:
        raise ConfigError(f"{path}: expected {{\"frame\": 0, \"objects\": {{\"1\": {{\"box\": [...]}}}}}}")
    try:
        frame = int(data.get("frame", 0))
        prompts = {int(k): _prompt(v, f"{path}: object {k}", path.parent) for k, v in objects.items()}
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return lambda t: prompts if t == frame else {}


def auto_seed(t: int) -> dict[int, FramePrompt]:
    """Object 1 from the prompt-free encoder on frame 0."""
    return {1: FramePrompt("auto")} if t == 0 else {}
