"""Inspect a dataset: per-video / per-category counts, clip counts, problems, and rendered clips.

    python -m sam2_video.data.inspect configs/data/synthetic.yaml [data.root=...] [--out DIR]
    python -m sam2_video.data.inspect path/to/train.json --image-size 128 --clip-length 8 --out DIR

A YAML is a data-group config (composed with the root config when ``config.yaml`` is beside its
group folder, else with minimal defaults), a saved full config with a ``data`` node, or a
standalone data node (``_target_: ...ClipDataModule``); extra ``key=value`` arguments are overrides. A JSON is read as one COCO clip split.
Exit status: 0 clean, 1 problems found, 2 unusable input.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from loguru import logger
from tqdm import tqdm

from sam2_video.data.clip_dataset import ClipDataset
from sam2_video.data.index import VideoIndex
from sam2_video.data.mask_sources import RleMask
from sam2_video.data.visualize import render_clip, save_rgb
from sam2_video.errors import UserError
from sam2_video.safe_paths import confined

_FALLBACK_ROOT = {"paths": {"data_dir": "datasets"}, "model": {"image_size": 128, "max_objects": 3}, "seed": 0}


def _compose_data_cfg(yaml_path: Path, overrides: list[str]):
    """The ``data`` node for ``yaml_path`` (see the module docstring)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.config_store import ConfigStore
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from sam2_video.config import register_resolvers

    register_resolvers()

    raw = OmegaConf.load(yaml_path)
    if "defaults" not in raw:  # a saved full config, or a standalone data node
        from sam2_video.config import CONFIG_DIR

        prompt = CONFIG_DIR / "prompt" / "default.yaml"  # data nodes point at the one prompt spec
        base = OmegaConf.merge(_FALLBACK_ROOT, {"prompt": OmegaConf.load(prompt)} if prompt.is_file() else {})
        full = raw if "data" in raw else OmegaConf.merge(base, {"data": raw})
        return _detached(OmegaConf.merge(full, OmegaConf.from_dotlist(overrides)).data)
    group_dir = yaml_path.resolve().parent
    config_dir = group_dir.parent
    name = yaml_path.stem
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        if (config_dir / "config.yaml").exists():
            cfg = compose("config", overrides=[f"{group_dir.name}={name}", *overrides])
        else:
            ConfigStore.instance().store(name="_inspect_root", node={"defaults": [{group_dir.name: name}, "_self_"],
                                                                     **_FALLBACK_ROOT})
            cfg = compose("_inspect_root", overrides=overrides)
    return _detached(cfg[group_dir.name])


def _detached(node):
    """``node`` with its interpolations (``${prompt}``, ``${model.image_size}``) resolved in its tree."""
    from omegaconf import OmegaConf

    return OmegaConf.create(OmegaConf.to_container(node, resolve=True))


def _index_report(split: str, index: VideoIndex, ds: ClipDataset | None) -> tuple[list[str], list[str]]:
    """The report lines (counts) of one split, and its problems."""
    problems: list[str] = []
    lines: list[str] = []
    lines.append(f"\n== {split}: {index.source}")
    n_tracks = sum(len(v.categories) for v in index.videos)
    lines.append(f"videos {len(index)}  frames {index.num_frames}  tracks {n_tracks}  categories {len(index.categories)}")
    clips_per_video = Counter(vi for vi, _ in ds.windows) if ds else Counter()
    lines.append(f"{'video':<24}{'frames':>8}{'tracks':>8}{'annotated':>11}{'clips':>7}")
    for vi, v in enumerate(index.videos):
        annotated = sum(1 for f in v.frames if f.objects)
        lines.append(f"{v.video_id:<24}{len(v):>8}{len(v.categories):>8}{annotated:>11}{clips_per_video.get(vi, 0):>7}")
        if annotated == 0:
            problems.append(f"{index.source}: video {v.video_id!r} has no annotated frame")
        if ds is not None and ds.object_selection == "first_frame" and vi in ds.valid_starts:
            starts = {int(s) for s in ds.valid_starts[vi]}
            reachable = set().union(*(v.present(s) for s in starts))
            never = sorted(set(v.categories) - reachable)
            if never:
                problems.append(
                    f"{index.source}: video {v.video_id!r} tracks {never} are never in a clip's first frame, so "
                    "never trained on (data.object_selection=first_appearance includes them)"
                )
    tracks, anns, videos = Counter(), Counter(), Counter()
    for v in index.videos:
        for tid, c in v.categories.items():
            tracks[c] += 1
        for c in set(v.categories.values()):
            videos[c] += 1
        for f in v.frames:
            for tid in f.objects:
                anns[v.categories[tid]] += 1
    lines.append(f"{'category':<32}{'tracks':>8}{'masks':>8}{'videos':>8}")
    for cid, name in sorted(index.categories.items()):
        lines.append(f"{f'{cid} {name}':<32}{tracks[cid]:>8}{anns[cid]:>8}{videos[cid]:>8}")
    if ds is not None:
        lines.append(f"clips: {len(ds)} of {ds.clip_length} frames (stride {ds.clip_stride}); "
              f"short videos skipped: {len(ds.skipped_videos)} {ds.skipped_videos[:5]}; "
              f"windows without objects: {ds.dropped_windows}")
    return lines, problems


def rle_run_lengths(counts: str | bytes | list) -> list[int]:
    """Run lengths of a COCO RLE (compressed string as pycocotools writes it, or a plain list)."""
    if isinstance(counts, list):
        return [int(c) for c in counts]
    s = counts.decode("ascii") if isinstance(counts, bytes) else str(counts)
    runs: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            if p >= len(s):
                raise ValueError("compressed RLE string ends inside a number")
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def _rle_problem(rle) -> str | None:
    """Why an RLE would decode to a wrong mask (pycocotools decodes a cut-off RLE silently)."""
    try:
        h, w = (int(v) for v in rle["size"])
        runs = rle_run_lengths(rle["counts"])
    except Exception as exc:  # noqa: BLE001
        return f"malformed RLE ({exc})"
    if any(r < 0 for r in runs) or sum(runs) != h * w:
        return f"RLE runs cover {sum(runs)} pixels, the mask has {h * w} (cut off or corrupt)"
    return None


def decode_problems(index: VideoIndex, desc: str = "decoding") -> list[str]:
    """Decode every frame (fully: a truncated file is caught) and every mask of ``index``, as
    training would; one problem line per unreadable frame or mask (naming the file / id)."""
    from PIL import Image

    problems: list[str] = []
    total = index.num_frames
    with tqdm(total=total, desc=desc, unit="frame", leave=False) as bar:
        for v in index.videos:
            for t, fr in enumerate(v.frames):
                bar.update(1)
                try:
                    with Image.open(fr.image_path) as im:
                        im.load()  # full decode: raises on truncated / corrupt data
                        size = im.size
                    if size != (fr.width, fr.height):
                        problems.append(f"{fr.image_path}: image is {size[0]}x{size[1]} but the dataset says "
                                        f"{fr.width}x{fr.height} (video {v.video_id!r}, image id {fr.image_id})")
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    problems.append(f"{fr.image_path}: unreadable frame (video {v.video_id!r}, image id "
                                    f"{fr.image_id}): {str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}")
                for tid, src in fr.objects.items():
                    why = _rle_problem(src.rle) if isinstance(src, RleMask) else None
                    if why:
                        problems.append(f"video {v.video_id!r} image id {fr.image_id} track {tid}: {why}")
                try:
                    v.load_masks(t)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"video {v.video_id!r} image id {fr.image_id}: mask cannot be decoded: "
                                    f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}")
    return problems


def _render(split: str, ds: ClipDataset, out: Path, num: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    step = max(1, len(ds) // max(1, num))
    for i in range(0, min(len(ds), step * num), step):
        item = ds[(i, 0)] if ds.train else ds[i]
        path = confined(out, f"{split}_{re.sub(r'[^A-Za-z0-9._-]+', '_', item.clip_id)}.png", key="clip id")
        save_rgb(path, render_clip(item))
        logger.info(f"rendered {path}")


def _as_flags(message: str) -> str:
    """Hints for JSON input name this tool's flags, not the training config keys."""
    return (message.replace("data.image_root", "--image-root").replace("data.clip_length", "--clip-length")
            .replace("model.image_size", "--image-size"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config", help="data config YAML, saved full config YAML, or a COCO clip JSON")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides for a YAML, e.g. data.root=/data/x")
    ap.add_argument("--out", type=Path, default=None, help="render clips (masks + prompts) as PNG here")
    ap.add_argument("--num-clips", type=int, default=3, help="clips rendered per split")
    ap.add_argument("--split", choices=("train", "val", "all"), default="all")
    ap.add_argument("--image-size", type=int, default=256, help="JSON input: model image size")
    ap.add_argument("--clip-length", type=int, default=8, help="JSON input: frames per clip")
    ap.add_argument("--image-root", default=None, help="JSON input: folder file_name is relative to")
    args = ap.parse_args(argv)
    path = Path(args.config)
    problems: list[str] = []
    try:
        splits = ("train", "val") if args.split == "all" else (args.split,)
        if path.suffix == ".json":
            from sam2_video.data.coco_clips import load_coco_index

            index = load_coco_index(path, args.image_root)
            sets = {"json": (index, lambda: ClipDataset(index, image_size=args.image_size,
                                                        clip_length=args.clip_length, short_video="skip"))}
        else:
            from sam2_video.config import build

            dm = build(_compose_data_cfg(path, list(args.overrides)))
            dm.prepare_data()
            sets = {}
            for s in splits:
                try:
                    sets[s] = (dm.video_index(s), lambda s=s: dm.make_dataset(s))
                except UserError as e:
                    problems.append(str(e))
        for split, (index, make) in sets.items():
            try:
                ds = make()
            except UserError as e:
                problems.append(str(e))
                ds = None
            lines, found = _index_report(split, index, ds)
            sys.stdout.write("\n".join(lines) + "\n")
            problems += found + decode_problems(index, desc=f"decoding {split}")
            if args.out is not None and ds is not None:
                _render(split, ds, args.out, args.num_clips)
    except UserError as e:
        msg = _as_flags(str(e)) if path.suffix == ".json" else str(e)
        logger.error(msg)
        sys.stdout.write(f"\nPROBLEM: {msg}\n")
        return 2
    if path.suffix == ".json":
        problems = [_as_flags(p) for p in problems]
    sys.stdout.write(f"\nproblems: {len(problems)}\n" + "".join(f"PROBLEM: {p}\n" for p in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
