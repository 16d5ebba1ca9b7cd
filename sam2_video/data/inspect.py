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
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from loguru import logger

from sam2_video.data.clip_dataset import ClipDataset
from sam2_video.data.index import VideoIndex
from sam2_video.data.visualize import render_clip, save_rgb
from sam2_video.errors import UserError

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
        full = raw if "data" in raw else OmegaConf.merge(_FALLBACK_ROOT, {"data": raw})
        return OmegaConf.merge(full, OmegaConf.from_dotlist(overrides)).data
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
    return cfg[group_dir.name]


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


def _render(split: str, ds: ClipDataset, out: Path, num: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    step = max(1, len(ds) // max(1, num))
    for i in range(0, min(len(ds), step * num), step):
        item = ds[(i, 0)] if ds.train else ds[i]
        path = out / f"{split}_{item.clip_id.replace('/', '_').replace('@', '_')}.png"
        save_rgb(path, render_clip(item))
        logger.info(f"rendered {path}")


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
            problems += found
            if args.out is not None and ds is not None:
                _render(split, ds, args.out, args.num_clips)
    except UserError as e:
        logger.error(str(e))
        sys.stdout.write(f"\nPROBLEM: {e}\n")
        return 2
    sys.stdout.write(f"\nproblems: {len(problems)}\n" + "".join(f"PROBLEM: {p}\n" for p in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
