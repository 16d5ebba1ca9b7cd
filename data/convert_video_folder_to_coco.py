#!/usr/bin/env python
"""Convert DAVIS-style or polyp-style video folders to the COCO clip format (see docs/converters.md)."""

from __future__ import annotations

import argparse
import sys

from sam2_video.convert.cli import run
from sam2_video.convert.video_folder import convert_video_folder


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-dir", required=True, help="DAVIS root (JPEGImages/, Annotations/) or polyp root")
    p.add_argument("--output-file", required=True, help="COCO JSON to write (OUT_train/OUT_val.json when splitting)")
    p.add_argument("--image-root", help="where frames are written as <video>/<order>.<ext> (default: JSON folder)")
    p.add_argument("--layout", required=True, choices=("davis", "polyp"))
    p.add_argument("--subset", help="polyp: the <split> folder (default: the only one with <split>_list.txt)")
    p.add_argument("--resolution", help="DAVIS: sub-folder of JPEGImages/ and Annotations/, e.g. 480p")
    p.add_argument("--videos-file", help="text file of video names to convert (e.g. ImageSets/2017/train.txt)")
    p.add_argument("--threshold", type=int, default=128, help="polyp: mask grey level >= this is foreground")
    p.add_argument("--val-videos", help="comma-separated validation videos")
    p.add_argument("--all-categories", action="store_true",
                   help="list every category of the table, also those without annotations")
    a = p.parse_args(argv)
    return run(convert_video_folder, input_dir=a.input_dir, output_file=a.output_file, image_root=a.image_root,
               layout=a.layout, subset=a.subset, resolution=a.resolution, videos_file=a.videos_file,
               threshold=a.threshold, val_videos=a.val_videos, all_categories=a.all_categories)


if __name__ == "__main__":
    sys.exit(main())
