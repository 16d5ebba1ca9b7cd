"""Synthetic video dataset generator (demo and tests): COCO clip JSON + DAVIS layout of the same videos.

    python -m sam2_video.data.synthetic --out DIR --num-videos 12 --num-frames 24 --size 128 128 --seed 0

Writes, atomically (a temporary sibling folder renamed to DIR at the end):
    DIR/JPEGImages/<video>/<00000>.jpg          frames (shared by both layouts)
    DIR/Annotations/<video>/<00000>.png         palettised PNG, value = track id
    DIR/ImageSets/2017/{train,val}.txt          DAVIS split lists
    DIR/{train,val}.json                        COCO clips, compressed RLE, track_id, split by video
    DIR/synthetic.json                          the generation parameters
Deterministic for a seed (byte-identical files). Categories: 1 ellipse, 2 polygon, 3 instrument
(a split's JSON lists the categories that have annotations in it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from loguru import logger
from PIL import Image
from pycocotools import mask as mask_utils
from tqdm import tqdm

from sam2_video.atomic import write_json
from sam2_video.data.mask_io import davis_palette
from sam2_video.data.synthetic_scene import CATEGORIES, render_video
from sam2_video.errors import ConfigError, UserError


@dataclass
class SyntheticSpec:
    """Parameters of a synthetic dataset; `generate` writes it (``data.synthetic`` in the config)."""

    num_videos: int = 12
    num_frames: int = 24
    size: Sequence[int] = (128, 128)  # (H, W)
    seed: int = 0
    num_objects: int = 3
    val_fraction: float = 0.25
    jpeg_quality: int = 95

    def __post_init__(self) -> None:
        self.size = tuple(int(s) for s in self.size)
        if len(self.size) != 2 or min(self.size) < 32:
            raise ConfigError(f"synthetic size must be (H, W) with both >= 32, got {self.size}")
        if self.num_videos < 2:
            raise ConfigError("synthetic num_videos must be >= 2 (at least one train and one val video)")
        if self.num_frames < 1 or not 1 <= self.num_objects <= 20:
            raise ConfigError("synthetic num_frames must be >= 1 and num_objects in 1..20")

    @property
    def num_val(self) -> int:
        return min(self.num_videos - 1, max(1, math.ceil(self.num_videos * self.val_fraction)))

    def generate(self, out: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the dataset to ``out`` (see the module docstring); returns ``out``."""
        return generate(self, out, overwrite=overwrite)


def write_davis_video(tmp: Path, vid: str, frames: np.ndarray, labels: np.ndarray, quality: int, palette: list[int]) -> None:
    (tmp / "JPEGImages" / vid).mkdir(parents=True)
    (tmp / "Annotations" / vid).mkdir(parents=True)
    for t in range(len(frames)):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise OSError(f"JPEG encoding failed for {vid} frame {t}")
        (tmp / "JPEGImages" / vid / f"{t:05d}.jpg").write_bytes(buf.tobytes())
        png = Image.fromarray(labels[t])  # mode L; putpalette makes it P with the same indices
        png.putpalette(palette)
        png.save(tmp / "Annotations" / vid / f"{t:05d}.png", optimize=False)


def _coco_entries(vid: str, labels: np.ndarray, cats: dict[int, int], ids: dict[str, int]) -> tuple[list, list]:
    """COCO images / annotations of one video; ``ids`` holds the running image / annotation ids."""
    t_len, h, w = labels.shape
    images, anns = [], []
    for t in range(t_len):
        ids["image"] += 1
        images.append({"id": ids["image"], "file_name": f"JPEGImages/{vid}/{t:05d}.jpg", "height": h, "width": w,
                       "video_id": vid, "order_in_video": t})
        for tid in sorted(cats):
            m = labels[t] == tid
            if not m.any():
                continue
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            ids["ann"] += 1
            anns.append({
                "id": ids["ann"], "image_id": ids["image"], "category_id": cats[tid], "track_id": tid,
                "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
                "area": int(mask_utils.area(rle)), "bbox": [float(x) for x in mask_utils.toBbox(rle)], "iscrowd": 0,
            })
    return images, anns


def generate(spec: SyntheticSpec, out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Render ``spec`` into ``out`` atomically; a non-empty ``out`` is an error unless ``overwrite``."""
    out = Path(out)
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; pass --overwrite or choose another --out")
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        h, w = spec.size
        palette = davis_palette()
        categories = [{"id": c, "name": n, "supercategory": "shape"} for c, n in CATEGORIES.items()]
        split_of = {v: ("val" if v >= spec.num_videos - spec.num_val else "train") for v in range(spec.num_videos)}
        coco = {s: {"images": [], "annotations": [], "categories": categories, "videos": []} for s in ("train", "val")}
        ids = {"image": 0, "ann": 0}
        for v in tqdm(range(spec.num_videos), desc="synthetic videos", disable=None, leave=False):
            vid = f"synth_{v:03d}"
            rng = np.random.default_rng([spec.seed, v])
            frames, labels, cats = render_video(rng, spec.num_frames, h, w, spec.num_objects)
            write_davis_video(tmp, vid, frames, labels, spec.jpeg_quality, palette)
            images, anns = _coco_entries(vid, labels, cats, ids)
            d = coco[split_of[v]]
            d["images"] += images
            d["annotations"] += anns
            d["videos"].append({"id": vid, "name": vid})
        (tmp / "ImageSets" / "2017").mkdir(parents=True)
        for s, d in coco.items():
            used = {a["category_id"] for a in d["annotations"]}  # a category must have annotations
            d["categories"] = [c for c in categories if c["id"] in used]
            write_json(tmp / f"{s}.json", d, indent=None)
            names = [x["id"] for x in d["videos"]]
            (tmp / "ImageSets" / "2017" / f"{s}.txt").write_text("".join(n + "\n" for n in names))
        write_json(tmp / "synthetic.json", {**asdict(spec), "size": list(spec.size)})
        if out.exists():  # overwrite: move the old folder away first, then swap in the new one
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "d")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.replace(tmp, out)
            except OSError:
                if not (out / "train.json").exists():  # a concurrent writer finished first: keep theirs
                    raise
                logger.info(f"{out} was written concurrently; keeping the existing copy")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        f"Synthetic dataset: {spec.num_videos} videos x {spec.num_frames} frames at {h}x{w} -> {out} "
        f"({time.perf_counter() - start:.1f}s)"
    )
    return out


def generate_dataset(
    out: str | os.PathLike,
    *,
    num_videos: int = 12,
    num_frames: int = 24,
    size: Sequence[int] = (128, 128),
    seed: int = 0,
    num_objects: int = 3,
    val_fraction: float = 0.25,
    overwrite: bool = False,
) -> Path:
    """Keyword form of ``SyntheticSpec(...).generate(out)`` (an existing empty ``out`` is fine)."""
    spec = SyntheticSpec(num_videos=num_videos, num_frames=num_frames, size=size, seed=seed,
                         num_objects=num_objects, val_fraction=val_fraction)
    return generate(spec, out, overwrite=overwrite)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder (must not exist unless --overwrite)")
    ap.add_argument("--num-videos", type=int, default=12)
    ap.add_argument("--num-frames", type=int, default=24)
    ap.add_argument("--size", type=int, nargs=2, default=(128, 128), metavar=("H", "W"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-objects", type=int, default=3)
    ap.add_argument("--val-fraction", type=float, default=0.25)
    ap.add_argument("--jpeg-quality", type=int, default=95)
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args(argv)
    try:
        spec = SyntheticSpec(args.num_videos, args.num_frames, args.size, args.seed, args.num_objects,
                             args.val_fraction, args.jpeg_quality)
        out = generate(spec, args.out, overwrite=args.overwrite)
    except UserError as e:
        logger.error(str(e))
        return 2
    summary = json.loads((out / "train.json").read_text()), json.loads((out / "val.json").read_text())
    logger.info(f"wrote {out}: train {len(summary[0]['videos'])} videos / {len(summary[0]['images'])} frames, "
                f"val {len(summary[1]['videos'])} videos / {len(summary[1]['images'])} frames")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
