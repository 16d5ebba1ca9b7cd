#!/usr/bin/env python
"""Convert EndoVis 2017 / 2018 to the COCO clip format (see docs/converters.md)."""

from __future__ import annotations

import argparse
import sys

from sam2_video.convert.cli import run
from sam2_video.convert.endovis import convert_endovis


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-dir", required=True, help="folder holding instrument_dataset_N (2017) or seq_N (2018)")
    p.add_argument("--output-file", required=True, help="COCO JSON to write (OUT_train/OUT_val.json when splitting)")
    p.add_argument("--image-root", help="where frames are written as <video>/<order>.png (default: JSON folder)")
    p.add_argument("--year", type=int, choices=(2017, 2018), help="default: detected from the folder names")
    p.add_argument("--task", choices=("type", "parts", "binary", "scene"),
                   help="2017: type (default) | parts | binary; 2018: type (default; data=endovis18) | "
                        "scene (data=endovis18_scene)")
    p.add_argument("--crop", action="store_true", help="crop frames and masks (default box: rows 28..1052, cols 320..1600)")
    p.add_argument("--crop-box", type=int, nargs=4, metavar=("Y0", "Y1", "X0", "X1"), help="crop box (implies --crop)")
    p.add_argument("--split", help="validation split: fold0..fold3 (2017) or standard (2018: seq 2, 5, 9, 15)")
    p.add_argument("--val-videos", help="comma-separated validation videos (ids or numbers), e.g. 1,3")
    p.add_argument("--labels-json", help="2018 labels.json (default: found next to the seq_N folders)")
    p.add_argument("--type-labels-dir", default="instrument_labels",
                   help="2018 --task type: per-sequence folder of frameNNN_class<K>_inst<J>.png files")
    p.add_argument("--drop-background", action="store_true", help="2018 scene: leave out class 0")
    p.add_argument("--all-categories", action="store_true",
                   help="list every category of the table, also those without annotations")
    a = p.parse_args(argv)
    return run(convert_endovis, input_dir=a.input_dir, output_file=a.output_file, image_root=a.image_root,
               year=a.year, task=a.task, crop=a.crop, crop_box=a.crop_box, split=a.split,
               val_videos=a.val_videos, labels_json=a.labels_json, type_labels_dir=a.type_labels_dir,
               drop_background=a.drop_background, all_categories=a.all_categories)


if __name__ == "__main__":
    sys.exit(main())
