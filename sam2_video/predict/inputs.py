"""Unlabeled inputs of predict.py: a folder of frames or a video file, and an optional prompts JSON.

Prompts JSON (frame index -> object id -> one prompt, video pixels)::

    {"0": {"1": {"box": [x0, y0, x1, y1]},
           "2": {"points": [[x, y], ...], "labels": [1, 0, ...]},
           "3": {"mask": "masks/obj3.png"}}}          # binary PNG (0 / 255 or 0 / 1), relative to the JSON

Every malformed entry is one DatasetError line naming the file, frame and object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from sam2_video.errors import DatasetError
from sam2_video.prompt import FramePrompt

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


@dataclass
class UnlabeledVideo:
    """Frames of one video, loaded lazily (folder) or decoded once (video file)."""

    video_id: str
    frame_names: list[str]  # (T,) output names (file stems / zero-padded indices)
    height: int
    width: int
    load: Callable[[int], np.ndarray]  # t -> (H, W, 3) uint8 RGB

    @property
    def num_frames(self) -> int:
        return len(self.frame_names)


def _rgb(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except Exception as exc:
        raise DatasetError(f"{path}: not a readable image ({type(exc).__name__}); remove or replace it") from None


def open_video(source: str | Path) -> UnlabeledVideo:
    """A frames folder (images sorted by name) or a video file; empty / unreadable -> DatasetError."""
    src = Path(source)
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
        if not files:
            raise DatasetError(f"predict.input={src}: no frames ({', '.join(IMAGE_EXTS)}) in this folder")
        first = _rgb(files[0])
        return UnlabeledVideo(src.name, [p.stem for p in files], first.shape[0], first.shape[1],
                              lambda t: _rgb(files[t]))
    if src.is_file() and src.suffix.lower() in VIDEO_EXTS:
        import av

        try:
            with av.open(str(src)) as container:
                frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        except Exception as exc:
            raise DatasetError(f"predict.input={src}: cannot decode the video ({type(exc).__name__})") from None
        if not frames:
            raise DatasetError(f"predict.input={src}: the video has no frames")
        return UnlabeledVideo(src.stem, [f"{t:05d}" for t in range(len(frames))], frames[0].shape[0],
                              frames[0].shape[1], lambda t: frames[t])
    raise DatasetError(f"predict.input={src}: not a folder of frames nor a video file ({', '.join(VIDEO_EXTS)})")


def _mask(path: Path, where: str, shape: tuple[int, int]) -> np.ndarray:
    if not path.is_file():
        raise DatasetError(f"{where}: mask file {path} not found")
    with Image.open(path) as im:
        m = np.asarray(im.convert("L"))
    values = np.unique(m)
    if not (set(values.tolist()) <= {0, 1} or set(values.tolist()) <= {0, 255}):
        raise DatasetError(f"{where}: mask {path} is not binary (values {values[:6].tolist()}...); "
                           "save it with 0 = background and 255 (or 1) = object")
    if m.shape != shape:
        raise DatasetError(f"{where}: mask {path} is {m.shape[1]}x{m.shape[0]}, the video {shape[1]}x{shape[0]}")
    return m > 0


def read_prompts(path: str | Path, video: UnlabeledVideo) -> dict[int, dict[int, FramePrompt]]:
    """frame -> {object id: FramePrompt} from a prompts JSON (see module doc)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"predict.prompts={path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"predict.prompts={path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or not raw:
        raise DatasetError(f"predict.prompts={path}: expected a non-empty object {{frame: {{object id: prompt}}}}")
    out: dict[int, dict[int, FramePrompt]] = {}
    for fkey, objs in raw.items():
        where = f"{path} frame {fkey!r}"
        if not str(fkey).isdigit() or not 0 <= int(fkey) < video.num_frames or not isinstance(objs, dict):
            raise DatasetError(f"{where}: frames are indices 0..{video.num_frames - 1} mapping to {{object id: prompt}}")
        for okey, p in objs.items():
            w = f"{where} object {okey!r}"
            if not str(okey).isdigit() or int(okey) < 1 or not isinstance(p, dict) or len(p.keys() - {"labels"}) != 1:
                raise DatasetError(f"{w}: object ids are integers >= 1 with one of box / points / mask")
            try:
                if "box" in p:
                    prompt = FramePrompt("box", box=np.asarray(p["box"], np.float32).reshape(4))
                elif "points" in p:
                    pts = np.asarray(p["points"], np.float32).reshape(-1, 2)
                    labels = np.asarray(p.get("labels", [1] * len(pts)), np.int32).reshape(-1)
                    if len(labels) != len(pts) or not set(labels.tolist()) <= {0, 1}:
                        raise ValueError("labels must be 0 / 1, one per point")
                    prompt = FramePrompt("point", points=pts, labels=labels)
                elif "mask" in p:
                    prompt = FramePrompt("mask", mask=_mask(path.parent / str(p["mask"]), w, (video.height, video.width)))
                else:
                    raise ValueError(f"unknown prompt {sorted(p)}")
            except (ValueError, TypeError) as exc:
                raise DatasetError(f"{w}: {exc}") from None
            out.setdefault(int(fkey), {})[int(okey)] = prompt
    return out
