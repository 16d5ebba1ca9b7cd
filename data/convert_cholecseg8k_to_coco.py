#!/usr/bin/env python
"""Convert CholecSeg8k (watershed masks) to the COCO clip format (see docs/converters.md)."""

from __future__ import annotations

import argparse
import sys

from sam2_video.convert.cholecseg8k import convert_cholecseg8k
from sam2_video.convert.cli import run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-dir", required=True, help="CholecSeg8k root holding videoXX/videoXX_<start>/")
    p.add_argument("--output-file", required=True, help="COCO JSON to write (OUT_train/OUT_val.json when splitting)")
    p.add_argument("--image-root", help="where frames are written as <clip>/<n>.png (default: JSON folder)")
    p.add_argument("--val-videos", help="comma-separated validation clips / videos, e.g. video12,video20 or 12,20")
    p.add_argument("--drop-background", action="store_true", help="leave out class 0 (background)")
    p.add_argument("--all-categories", action="store_true",
                   help="list every category of the table, also those without annotations")
    a = p.parse_args(argv)
    return run(convert_cholecseg8k, input_dir=a.input_dir, output_file=a.output_file, image_root=a.image_root,
               val_videos=a.val_videos, drop_background=a.drop_background,
               all_categories=a.all_categories)


if __name__ == "__main__":
    sys.exit(main())
