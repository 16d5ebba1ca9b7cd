"""Data-loader throughput: clips/s of the train (augmented) and val loaders with 0 and 2 workers.

    python bench/bench_loader.py                      # synthetic 480x854 frames -> 512 px, 8-frame clips
    python bench/bench_loader.py --data DIR --format coco --image-size 512 --json out.json
    python bench/bench_loader.py --quick              # seconds: smoke run

Without --data, a synthetic dataset with CholecSeg8k-sized frames (480 x 854) is generated in a
temporary folder. The first batch of each run (worker start-up) is not timed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sam2_video.data.augment import Augmentation
from sam2_video.data.datamodule import ClipDataModule
from sam2_video.data.synthetic import generate_dataset


def measure(dm: ClipDataModule, split: str, num_clips: int) -> float:
    """Clips per second over ``num_clips`` clips (after one untimed warm-up batch)."""
    loader = dm.train_dataloader() if split == "train" else dm.val_dataloader()
    done, start = 0, None
    while start is None or done < num_clips:
        for batch in loader:
            if start is None:
                start = time.perf_counter()
                continue
            done += batch.num_clips
            if done >= num_clips:
                break
    return done / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="dataset root (default: generate a synthetic one)")
    ap.add_argument("--format", default="coco", choices=("coco", "davis", "polyp"))
    ap.add_argument("--image-size", type=int, default=512)
    ap.add_argument("--clip-length", type=int, default=8)
    ap.add_argument("--max-objects", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--clips", type=int, default=16, help="timed clips per run")
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--quick", action="store_true", help="smoke run: 128 px, 4-frame clips, 2 clips, 0 workers")
    args = ap.parse_args()
    frame_size = (480, 854)
    if args.quick:
        args.image_size, args.clip_length, args.clips, args.workers = 128, 4, 2, [0]
        frame_size = (96, 128)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.data
        if root is None:
            root = generate_dataset(Path(tmp) / "synthetic", num_videos=4, num_frames=2 * args.clip_length,
                                    size=frame_size, seed=0, val_fraction=0.5)
        rows = []
        for workers in args.workers:
            dm = ClipDataModule(format=args.format, root=str(root), image_size=args.image_size,
                                clip_length=args.clip_length, clip_stride=1, val_clip_stride=1,
                                max_objects=args.max_objects, batch_size=args.batch_size, num_workers=workers,
                                augment=Augmentation(), short_video="skip")
            for split in ("train", "val"):
                rows.append({"split": split, "workers": workers, "clips_per_s": measure(dm, split, args.clips)})

    print(f"\nloader throughput: {args.image_size} px, {args.clip_length}-frame clips, batch {args.batch_size}")
    print(f"{'split':<8}{'workers':>8}{'clips/s':>10}{'frames/s':>10}")
    for r in rows:
        print(f"{r['split']:<8}{r['workers']:>8}{r['clips_per_s']:>10.2f}{r['clips_per_s'] * args.clip_length:>10.1f}")
    if args.json:
        args.json.write_text(json.dumps({"image_size": args.image_size, "clip_length": args.clip_length,
                                         "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
