"""Official PolypGen download -> the seed's ``polyp_gen`` video layout (``data=polyp_gen``).

Input (PolypGen2021_MultiCenterData_v3, found at ``--input-dir`` or one folder below)::

    sequenceData/positive/seqN/images_seqN/<frame>.jpg  +  masks_seqN/<frame>[_mask].jpg|png|tif
    sequenceData/negativeOnly/seqN_neg/<frame>.jpg      (no polyp: written with empty masks)
    data_C1..C6/images_C*/ + masks_C*/                  (single frames; --single-frames: one pseudo-
                                                         sequence per centre, for image-mode training)
Output::

    OUT/train/images/<seq>/<frame>.jpg   OUT/train/masks/<seq>/<frame>.png (0 / 255)   OUT/train/train_list.txt
    OUT/valid/images/<seq>/...           OUT/valid/masks/<seq>/...                     OUT/valid/val_list.txt

Masks are JPEGs: binarised at half range (luma >= 128; a 0 / 1 PNG at >= 1), not at 0.5 of raw
values (which makes every JPEG-noise pixel foreground). A mask that is not binary (more than 2 % of
its pixels in the mid-grey band 32..223: a photo, a soft map, several labels) is a DatasetError.
Sequences are split by name (``--val-sequences``) or by a seeded fraction. Written atomically.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from loguru import logger
from PIL import Image

from sam2_video.atomic import write_text
from sam2_video.convert.raw_io import find_dirs, list_images, natural_key, read_luma
from sam2_video.convert.staging import StagedImageTree
from sam2_video.errors import ConfigError, DatasetError

from sam2_video.data.folders import FRAME_SUFFIXES as IMAGE_SUFFIXES  # noqa: E402  (the one list)
AMBIGUOUS_MAX = 0.02


def binarize(path: Path) -> np.ndarray:
    """(H, W) bool foreground of a PolypGen mask; non-binary masks are a DatasetError."""
    luma = read_luma(path)
    if int(luma.max()) <= 1:  # 0 / 1 masks
        return luma >= 1
    mid = float(np.mean((luma > 32) & (luma < 224)))
    if mid > AMBIGUOUS_MAX:
        raise DatasetError(f"mask {path} is not binary ({mid:.0%} of its pixels are mid-grey); "
                           "PolypGen masks are black / white: replace the file or remove the frame")
    return luma >= 128


def _mask_for(image: Path, mask_dir: Path) -> Path:
    for stem in (image.stem, f"{image.stem}_mask"):
        for suffix in IMAGE_SUFFIXES:
            if (mask_dir / f"{stem}{suffix}").is_file():
                return mask_dir / f"{stem}{suffix}"
    raise DatasetError(f"frame {image} has no mask in {mask_dir} ({image.stem}[_mask].jpg|png|tif): add it or remove the frame")


def _find_root(input_dir: Path) -> Path:
    hits = [input_dir] if (input_dir / "sequenceData").is_dir() else [d.parent for d in find_dirs(input_dir, "sequenceData")]
    if not hits:
        raise DatasetError(f"{input_dir}: no sequenceData/ folder (PolypGen2021_MultiCenterData_v3); "
                           "pass the folder of the official download as --input-dir")
    return hits[0]


def _sequences(root: Path, single_frames: bool) -> dict[str, list[tuple[Path, Path | None]]]:
    """name -> [(image, mask or None)] in natural frame order."""
    out: dict[str, list] = {}
    pos = root / "sequenceData" / "positive"
    for seq in sorted((d for d in pos.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name)) if pos.is_dir() else []:
        img_dir, mask_dir = seq / f"images_{seq.name}", seq / f"masks_{seq.name}"
        if not img_dir.is_dir() or not mask_dir.is_dir():
            raise DatasetError(f"{seq}: expected images_{seq.name}/ and masks_{seq.name}/ (official PolypGen layout)")
        out[seq.name] = [(im, _mask_for(im, mask_dir)) for im in list_images(img_dir, IMAGE_SUFFIXES)]
    neg = root / "sequenceData" / "negativeOnly"
    for seq in sorted((d for d in neg.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name)) if neg.is_dir() else []:
        images = list_images(seq, IMAGE_SUFFIXES) or [p for d in seq.iterdir() if d.is_dir()
                                                      for p in list_images(d, IMAGE_SUFFIXES)]
        out[seq.name if seq.name.endswith("_neg") else f"{seq.name}_neg"] = [(im, None) for im in images]
    if single_frames:
        for centre in sorted(root.glob("data_C*")):
            img_dirs, mask_dirs = sorted(centre.glob("images_C*")), sorted(centre.glob("masks_C*"))
            if img_dirs and mask_dirs:
                out[f"{centre.name}_single"] = [(im, _mask_for(im, mask_dirs[0]))
                                                for im in list_images(img_dirs[0], IMAGE_SUFFIXES)]
    empty = [n for n, frames in out.items() if not frames]
    if not out or empty:
        raise DatasetError(f"{root}: no frames in sequences {empty or '(none found)'}; check the download")
    return out


def _split(names: list[str], val_sequences: Sequence[str] | None, val_fraction: float, seed: int) -> set[str]:
    if val_sequences:
        unknown = sorted(set(val_sequences) - set(names))
        if unknown:
            raise ConfigError(f"--val-sequences: unknown sequences {unknown}; available: {', '.join(names)}")
        return set(val_sequences)
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"--val-fraction={val_fraction}: a fraction in (0, 1), e.g. 0.2")
    rng = np.random.default_rng(seed)
    n_val = max(1, round(val_fraction * len(names)))
    return {names[i] for i in sorted(rng.permutation(len(names))[:n_val])}


def convert_polyp_gen(input_dir: str | os.PathLike, output_dir: str | os.PathLike, *,
                      val_sequences: Sequence[str] | None = None, val_fraction: float = 0.2, seed: int = 0,
                      single_frames: bool = False) -> dict[str, list[str]]:
    """Convert (see module doc); returns {"train": [...], "valid": [...]} sequence names."""
    root = _find_root(Path(input_dir))
    seqs = _sequences(root, single_frames)
    names = sorted(seqs, key=natural_key)
    val = _split(names, val_sequences, val_fraction, seed)
    splits = {"train": [n for n in names if n not in val], "valid": [n for n in names if n in val]}
    if not splits["train"] or not splits["valid"]:
        raise ConfigError(f"the split leaves {'train' if not splits['train'] else 'valid'} with no sequences "
                          f"({len(names)} in all): change --val-sequences / --val-fraction")
    out = Path(output_dir)
    with StagedImageTree(out) as tree:
        for split, members in splits.items():
            for name in members:
                for image, mask in seqs[name]:
                    dest = tree.path(f"{split}/images/{name}/{image.stem}.jpg")
                    if image.suffix.lower() in (".jpg", ".jpeg"):
                        shutil.copyfile(image, dest)
                    else:
                        with Image.open(image) as im:
                            im.convert("RGB").save(dest, quality=95)
                    with Image.open(image) as im:
                        w, h = im.size
                    fg = binarize(mask) if mask is not None else np.zeros((h, w), dtype=bool)
                    if fg.shape != (h, w):
                        raise DatasetError(f"mask {mask} is {fg.shape[1]}x{fg.shape[0]} but its frame {image} is {w}x{h}")
                    Image.fromarray(fg.astype(np.uint8) * 255).save(tree.path(f"{split}/masks/{name}/{image.stem}.png"))
            list_name = "train_list.txt" if split == "train" else "val_list.txt"
            write_text(tree.path(f"{split}/{list_name}"), "".join(f"{n}\n" for n in members))
        tree.commit()
    logger.info(f"PolypGen -> {out}: {len(splits['train'])} train / {len(splits['valid'])} valid sequences")
    return splits
