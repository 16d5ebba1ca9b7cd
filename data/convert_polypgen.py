#!/usr/bin/env python
"""Convert the official PolypGen download to the polyp_gen video layout (data=polyp_gen; docs/autosam2.md)."""

from __future__ import annotations

import argparse
import sys

from sam2_video.convert.cli import run
from sam2_video.convert.polyp_gen import convert_polyp_gen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-dir", required=True, help="PolypGen2021_MultiCenterData_v3 (or the folder holding it)")
    p.add_argument("--output-dir", required=True, help="writes train/ and valid/ (images/, masks/, *_list.txt)")
    p.add_argument("--val-sequences", nargs="*", help="validation sequence names, e.g. seq3 seq12 seq3_neg")
    p.add_argument("--val-fraction", type=float, default=0.2, help="else this fraction of sequences (seeded)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--single-frames", action="store_true", help="also data_C1..C6 single frames (image mode)")
    a = p.parse_args(argv)
    return run(convert_polyp_gen, input_dir=a.input_dir, output_dir=a.output_dir, val_sequences=a.val_sequences,
               val_fraction=a.val_fraction, seed=a.seed, single_frames=a.single_frames)


if __name__ == "__main__":
    sys.exit(main())
