"""Index rows from (a) any dataset the framework reads (``cfg.data`` -> `VideoIndex`) or (b) a plain
folder of image + single-channel class-id mask pairs (seed 004's starting point).

(a) keeps the data module's own splits (they are by video) and writes one class-id PNG per frame
under ``<work_dir>/masks/<video>/<frame>.png`` (category ids -> classes 1..C in sorted order).
(b) pairs ``images/<rel>.<ext>`` with ``masks/<rel><mask_suffix>.png``; the video id is the first
folder of ``<rel>`` (or the match of ``video_regex``; a flat folder makes every frame its own video).
Every pair is read and checked (readable, same size, ids <= C) before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from tqdm import tqdm

from sam2_video.atomic import atomic_path
from sam2_video.data.datamodule import ClipDataModule
from sam2_video.data.folders import FRAME_SUFFIXES, natural_key
from sam2_video.errors import ConfigError, DatasetError
from sam2_video.refiner.index import IndexMeta, IndexRecord, check_keys, read_class_map, read_image

IMAGE_EXTS = FRAME_SUFFIXES  # the one list (sam2_video.data.folders)


def write_png(path: Path, labels: np.ndarray) -> None:
    """Atomically write a (H, W) uint8 map as PNG."""
    with atomic_path(path, suffix=".png") as tmp:
        ok, png = cv2.imencode(".png", labels)  # temporary names end in .tmp: the format is explicit
        if not ok:
            raise OSError(f"cannot write {path}")
        tmp.write_bytes(png.tobytes())


def records_from_datamodule(dm: ClipDataModule, splits: Sequence[str], work_dir: Path) -> tuple[list[IndexRecord], IndexMeta]:
    """One record per annotated frame of ``splits``; class-id PNGs written under ``work_dir/masks``."""
    dm.prepare_data()
    indexes = {s: dm.video_index(s) for s in splits}
    names: dict[int, str] = {}
    for vi in indexes.values():
        names.update(vi.categories)
    class_of = {cid: i + 1 for i, cid in enumerate(sorted(names))}
    if len(class_of) > 254:
        raise DatasetError(f"{len(class_of)} categories: the refiner's 8-bit class maps hold at most 254")
    records = []
    for split, vi in indexes.items():
        for video in tqdm(vi.videos, desc=f"index {split}", unit="video", leave=False):
            for t, fr in enumerate(video.frames):
                labels = np.zeros((fr.height, fr.width), dtype=np.uint8)
                for tid, mask in video.load_masks(t).items():
                    labels[mask] = class_of[video.categories[tid]]
                key = f"{video.video_id}/{Path(fr.image_path).stem}"
                mask_path = work_dir / "masks" / f"{key}.png"
                present = tuple(int(c) for c in np.unique(labels) if c != 0)
                rec = IndexRecord(key, str(fr.image_path), str(mask_path), video.video_id, int(fr.order), present, split)
                check_keys([rec], vi.source)  # before writing under work_dir
                write_png(mask_path, labels)
                records.append(rec)
    meta = IndexMeta(len(class_of), {class_of[c]: n for c, n in names.items()}, f"data ({dm.format}: {dm.root})")
    return records, meta


def _video_of(rel: Path, video_regex: str | None) -> str:
    if video_regex:
        m = re.search(video_regex, rel.as_posix())
        if not m:
            raise DatasetError(f"{rel}: refiner.folder.video_regex={video_regex!r} does not match; fix the regex")
        return m.group(1) if m.groups() else m.group(0)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def records_from_folder(
    images: str | Path, masks: str | Path, num_classes: int | None = None, mask_suffix: str = "",
    video_regex: str | None = None, class_names: Sequence[str] | None = None,
) -> tuple[list[IndexRecord], IndexMeta]:
    """Records of every image with a mask; splits left empty (see `splits.assign_splits`)."""
    images, masks = Path(images), Path(masks)
    for p, what in ((images, "images"), (masks, "masks")):
        if not p.is_dir():
            raise ConfigError(f"refiner.folder.{what}={p}: not a folder")
    paths = sorted((p for p in images.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file()),
                   key=lambda p: natural_key(str(p.relative_to(images))))
    if not paths:
        raise DatasetError(f"{images}: no images ({', '.join(IMAGE_EXTS)})")
    rows, top = [], 0
    for img_path in tqdm(paths, desc="check pairs", unit="img", leave=False):
        rel = img_path.relative_to(images).with_suffix("")
        mask_path = masks / f"{rel.as_posix()}{mask_suffix}.png"
        if not mask_path.is_file():
            raise DatasetError(f"{img_path}: no mask {mask_path}; add it or remove the image")
        img = read_image(img_path)
        labels = read_class_map(mask_path, num_classes, img.shape[:2])
        top = max(top, int(labels.max()))
        present = tuple(int(c) for c in np.unique(labels) if c != 0)
        rows.append((rel, img_path, mask_path, _video_of(rel, video_regex), present))
    c = int(num_classes) if num_classes else top
    if c < 1:
        raise DatasetError(f"{masks}: every mask is background only; nothing to learn")
    frame_no: dict[str, int] = {}
    records = []
    for rel, img_path, mask_path, vid, present in rows:
        frame_no[vid] = frame_no.get(vid, -1) + 1
        records.append(IndexRecord(rel.as_posix(), str(img_path), str(mask_path), vid, frame_no[vid], present, ""))
    names = list(class_names) if class_names else [f"class_{i}" for i in range(1, c + 1)]
    if len(names) != c:
        raise ConfigError(f"refiner.class_names has {len(names)} names but there are {c} classes")
    return records, IndexMeta(c, {i + 1: n for i, n in enumerate(names)}, f"folder {images}")
