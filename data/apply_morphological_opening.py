#!/usr/bin/env python
"""Open every mask of a COCO JSON with OpenCV; drop annotations that become empty (see docs/converters.md)."""

from __future__ import annotations

import argparse
import sys

from sam2_video.convert.cli import run
from sam2_video.convert.morphology import apply_opening


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-json", required=True)
    p.add_argument("--output-json", required=True)
    p.add_argument("--kernel-size", type=int, default=3, help="kernel is kernel-size x kernel-size pixels")
    p.add_argument("--kernel-shape", choices=("ellipse", "square"), default="ellipse")
    a = p.parse_args(argv)
    return run(apply_opening, input_json=a.input_json, output_json=a.output_json,
               kernel_size=a.kernel_size, kernel_shape=a.kernel_shape)


if __name__ == "__main__":
    sys.exit(main())
