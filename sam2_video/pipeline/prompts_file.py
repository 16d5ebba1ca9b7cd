"""THE prompts file (schema: docs/prompts.md): written by the evaluation (the prompts it used), read by
predict.py, the stream and the API, so an evaluation replays through them. ``{"frames": {"<t>":
{"<object id>": {"box" | "points" (+ "labels") | "mask" | "auto"}}}, "size": [H, W], "categories":
{...}}``; coordinates are checked against the frame size (one error line naming file, frame and object);
the older shapes ``{"0": {...}}`` and ``{"frame": 0, "objects": {...}}`` are read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np
from PIL import Image

from sam2_video.atomic import write_json
from sam2_video.errors import DatasetError
from sam2_video.prompt import FramePrompt
from sam2_video.safe_paths import confined

FORMAT = "sam2-video-prompts/1"


@dataclass
class PromptsFile:
    """A parsed prompts file: ``frames`` t -> {object id: FramePrompt}; ``categories`` object id -> category."""

    path: Path
    frames: dict[int, dict[int, FramePrompt]]
    categories: dict[int, int] = field(default_factory=dict)
    size: Optional[tuple[int, int]] = None  # (H, W) the file was written for

    @property
    def object_ids(self) -> list[int]:
        return sorted({o for objs in self.frames.values() for o in objs})

    def category_of(self) -> dict[int, int]:
        return {o: int(self.categories.get(o, o)) for o in self.object_ids}

    def check_frame_size(self, height: int, width: int, where: str) -> None:
        """Every coordinate inside a ``height`` x ``width`` frame (DatasetError naming frame and object)."""
        if self.size is not None and tuple(self.size) != (height, width):
            raise DatasetError(f"{self.path}: written for {self.size[1]}x{self.size[0]} frames, {where} is "
                               f"{width}x{height}; use the prompts of this video")
        for t, objs in self.frames.items():
            for oid, p in objs.items():
                _check_inside(p, height, width, f"{self.path} frame {t} object {oid}")

    def check_frames(self, num_frames: int) -> None:
        late = sorted(t for t in self.frames if t >= num_frames)
        if late:
            raise DatasetError(f"{self.path} frame {late[0]}: the video has only {num_frames} frames (0.."
                               f"{num_frames - 1}); fix the frame index")


def _check_inside(p: FramePrompt, h: int, w: int, where: str) -> None:
    def bad(why: str) -> DatasetError:
        return DatasetError(f"{where}: {why} (frame is {w}x{h} pixels; coordinates are x in [0, {w}], y in [0, {h}])")

    if p.box is not None:
        x0, y0, x1, y1 = (float(v) for v in p.box)
        if x1 < x0 or y1 < y0:
            raise bad(f"box {p.box.tolist()} is inverted; write it as [x0, y0, x1, y1] with x0 <= x1, y0 <= y1")
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            raise bad(f"box {p.box.tolist()} is not inside the frame")
    if p.points is not None and len(p.points):
        pts = np.asarray(p.points)
        out = (pts[:, 0] < 0) | (pts[:, 0] > w) | (pts[:, 1] < 0) | (pts[:, 1] > h)
        if out.any():
            raise bad(f"point {pts[int(np.argmax(out))].tolist()} is outside the frame")
    if p.mask is not None and p.mask.shape != (h, w):
        raise bad(f"mask is {p.mask.shape[1]}x{p.mask.shape[0]}")


def _numbers(v: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float32)
    if arr.size != int(np.prod(shape)) and shape[0] != -1:
        raise ValueError(f"{name} must hold {int(np.prod(shape))} numbers")
    arr = arr.reshape(shape)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds a non-finite number")
    return arr


def _read_entry(entry: Any, base: Path, categories: Mapping[int, int], oid: int) -> FramePrompt:
    if not isinstance(entry, Mapping) or not entry:
        raise ValueError("expected an object with box / points (+ labels) / mask / auto")
    unknown = sorted(set(entry) - {"box", "points", "labels", "mask", "auto"})
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; use box / points (+ labels) / mask / auto")
    if "auto" in entry:
        return FramePrompt("auto", category=int(categories.get(oid, oid)))
    if "mask" in entry:
        return FramePrompt("mask", mask=_read_mask(base / str(entry["mask"])))
    pts = _numbers(entry.get("points", []), (-1, 2), "points")
    labels = np.asarray(entry.get("labels", [1] * len(pts)), dtype=np.int32).reshape(-1)
    if len(labels) != len(pts) or not set(labels.tolist()) <= {0, 1}:
        raise ValueError(f"{len(pts)} points need {len(pts)} labels of 0 / 1, got {labels.tolist()}")
    if "box" in entry:
        box = _numbers(entry["box"], (4,), "box")
        return FramePrompt("box", box=box, points=pts if len(pts) else None, labels=labels if len(pts) else None)
    if not len(pts):
        raise ValueError("give a box, points or a mask")
    return FramePrompt("point", points=pts, labels=labels)


def _read_mask(path: Path) -> np.ndarray:
    if not path.is_file():
        raise ValueError(f"mask file {path} not found (paths are relative to the prompts file)")
    with Image.open(path) as im:
        m = np.asarray(im.convert("L"))
    values = set(np.unique(m).tolist())
    if not (values <= {0, 1} or values <= {0, 255}):
        raise ValueError(f"mask {path} is not binary; save it with 0 = background and 255 (or 1) = object")
    return m > 0


def read_prompts_file(path: str | Path, key: str = "prompts file") -> PromptsFile:
    """Parse and check a prompts file (see module doc); ``key``: the config key that named it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{key}={path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{key}={path}: not a readable JSON prompts file ({str(exc).splitlines()[0]})") from None
    if isinstance(raw, Mapping) and "objects" in raw and "frames" not in raw:  # older stream shape
        raw = {"frames": {str(raw.get("frame", 0)): raw["objects"]}}
    elif isinstance(raw, Mapping) and "frames" not in raw and raw and all(str(k).isdigit() for k in raw):
        raw = {"frames": raw}  # older predict shape: frames at the top
    frames_raw = raw.get("frames") if isinstance(raw, Mapping) else None
    if not isinstance(frames_raw, Mapping) or not frames_raw:
        raise DatasetError(f"{key}={path}: expected {{\"frames\": {{\"<frame>\": {{\"<object id>\": {{\"box\": "
                           "[x0, y0, x1, y1]}}}}}}}} (docs/prompts.md)")
    try:
        cats = {int(k): int(v) for k, v in dict(raw.get("categories") or {}).items()}
        size = raw.get("size")
        size = (int(size[0]), int(size[1])) if size is not None else None
    except (TypeError, ValueError, IndexError, KeyError):
        raise DatasetError(f"{path}: \"categories\" maps object ids to category ids, \"size\" is [H, W]") from None
    frames: dict[int, dict[int, FramePrompt]] = {}
    for fkey, objs in frames_raw.items():
        where = f"{path} frame {fkey!r}"
        if not str(fkey).isdigit() or not isinstance(objs, Mapping) or not objs:
            raise DatasetError(f"{where}: frames are indices 0, 1, ... mapping to {{object id: prompt}}")
        for okey, entry in objs.items():
            if not str(okey).isdigit() or int(okey) < 1:
                raise DatasetError(f"{where} object {okey!r}: object ids are integers >= 1")
            try:
                prompt = _read_entry(entry, path.parent, cats, int(okey))
            except (ValueError, TypeError) as exc:
                raise DatasetError(f"{where} object {okey!r}: {exc}") from None
            frames.setdefault(int(fkey), {})[int(okey)] = prompt
    out = PromptsFile(path, frames, cats, size)
    if size is not None:
        out.check_frame_size(*size, where="the file's size")
    return out


def _entry(p: FramePrompt, mask_name: Callable[[], tuple[str, str]], mask_dir: Path) -> dict[str, Any]:
    if p.kind == "auto":
        return {"auto": True}
    if p.kind == "mask":
        parts = mask_name()
        target = confined(mask_dir, *parts, key="video_id")
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(p.mask, dtype=np.uint8) * 255).save(target)
        return {"mask": "/".join(parts)}
    out: dict[str, Any] = {}
    if p.box is not None:
        out["box"] = [float(v) for v in p.box]
    if p.points is not None and len(p.points):
        out["points"] = [[float(x), float(y)] for x, y in p.points]
        out["labels"] = [int(v) for v in p.labels]
    return out


def write_prompts_file(path: str | Path, frames: Mapping[int, Mapping[int, FramePrompt]], size: tuple[int, int],
                       categories: Mapping[int, int], video: str = "") -> Path:
    """Write ``frames`` (t -> {object id: prompt}) in the format above; mask prompts go to PNGs in a
    folder next to the file (``<stem>/<frame>_<object>.png``)."""
    path = Path(path)
    doc: dict[str, Any] = {"format": FORMAT, "video": video, "size": [int(size[0]), int(size[1])],
                           "categories": {str(k): int(v) for k, v in sorted(categories.items())}, "frames": {}}
    for t in sorted(frames):
        objs = {}
        for oid in sorted(frames[t]):
            name = lambda t=t, oid=oid: (path.stem, f"{t:05d}_{oid}.png")  # noqa: E731
            objs[str(oid)] = _entry(frames[t][oid], name, path.parent)
        doc["frames"][str(t)] = objs
    return write_json(path, doc)
