"""A training set of occlusion scenes (`sam2_video.data.occlusion_scenes.occlusion_video`), DAVIS layout.

    python -m sam2_video.data.occlusion_dataset --out /tmp/occ --num-videos 24

Fits a model to the scenes the recovery test streams (``train.py data=davis data.root=<out>``):
each video is one ``occlusion_video`` with its own background / texture seed and occluder speed,
both objects annotated (1 the tracked object, 2 the occluder), so a small SAM2 learns to tell the
object from the occluder, to answer "absent" while it is hidden and to take box + point prompts.
Seeds start at ``first_seed`` (default 1000) so the test scenes (seeds 0, 1, ...) stay unseen.
Written atomically (a temporary sibling renamed into place); an existing non-empty ``out`` is an error.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from sam2_video.data.mask_io import davis_palette
from sam2_video.data.synthetic import write_davis_video
from sam2_video.errors import ConfigError, UserError
from sam2_video.data.occlusion_scenes import occlusion_video


def write_occlusion_dataset(out: str | os.PathLike, num_videos: int = 24, num_frames: int = 48, size: int = 128,
                            first_seed: int = 1000, speeds: tuple[float, float] = (3.0, 7.0),
                            num_val: int = 2) -> Path:
    """Write ``num_videos`` occlusion scenes (the last ``num_val`` are the val split) to ``out``."""
    out = Path(out)
    if num_videos <= num_val or num_val < 1:
        raise ConfigError(f"occlusion dataset: num_videos ({num_videos}) must exceed num_val ({num_val}) >= 1")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        palette = davis_palette()
        rng = np.random.default_rng(first_seed)
        names = {"train": [], "val": []}
        for v in range(num_videos):
            video = occlusion_video(num_frames, size, seed=first_seed + v, speed=float(rng.uniform(*speeds)))
            labels = np.where(video.occluder, 2, np.where(video.masks, 1, 0)).astype(np.uint8)
            name = f"occ_{first_seed + v:05d}"
            write_davis_video(tmp, name, video.frames, labels, 95, palette)
            names["val" if v >= num_videos - num_val else "train"].append(name)
        (tmp / "ImageSets" / "2017").mkdir(parents=True)
        for split, vids in names.items():
            (tmp / "ImageSets" / "2017" / f"{split}.txt").write_text("".join(n + "\n" for n in vids))
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from loguru import logger

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--num-videos", type=int, default=24)
    ap.add_argument("--num-frames", type=int, default=48)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--first-seed", type=int, default=1000)
    args = ap.parse_args(argv)
    try:
        out = write_occlusion_dataset(args.out, args.num_videos, args.num_frames, args.size, args.first_seed)
    except UserError as e:
        logger.error(str(e))
        return 2
    logger.info(f"wrote {args.num_videos} occlusion scenes to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
