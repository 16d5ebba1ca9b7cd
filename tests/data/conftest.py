"""Shared fixtures for the data tests: a tiny synthetic dataset and a hand-made COCO clip case."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from sam2_video.data.synthetic import SyntheticSpec

H, W = 24, 32  # hand-made case frame size


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """4 videos x 10 frames at 96 x 128 (non-square: exercises letterbox), generated once."""
    out = tmp_path_factory.mktemp("synthetic") / "ds"
    SyntheticSpec(num_videos=4, num_frames=10, size=(96, 128), seed=3, num_objects=3).generate(out)
    return out


def rle_of(mask: np.ndarray) -> dict:
    """Compressed RLE with str counts, as written in JSON."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def box_mask(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


@pytest.fixture
def coco_case(tmp_path) -> tuple[dict, Callable[[dict], Path]]:
    """A valid 1-video, 3-frame COCO clip dict (2 tracks, 2 categories) and a writer returning the JSON path.

    Frames are written to tmp_path/frames/v0/<t>.jpg; mutate a deep copy of the dict to make bad cases."""
    (tmp_path / "frames" / "v0").mkdir(parents=True)
    images, anns = [], []
    for t in range(3):
        cv2.imwrite(str(tmp_path / "frames" / "v0" / f"{t}.jpg"), np.full((H, W, 3), 60 + 40 * t, np.uint8))
        images.append({"id": 10 + t, "file_name": f"frames/v0/{t}.jpg", "height": H, "width": W,
                       "video_id": "v0", "order_in_video": t})
        anns.append({"id": 100 + t, "image_id": 10 + t, "category_id": 1, "track_id": 1,
                     "segmentation": rle_of(box_mask(2, 10, 2 + t, 12 + t)), "iscrowd": 0})
        anns.append({"id": 200 + t, "image_id": 10 + t, "category_id": 2, "track_id": 2,
                     "segmentation": rle_of(box_mask(12, 20, 15, 28)), "iscrowd": 0})
    data = {"images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "grasper"}, {"id": 2, "name": "hook"}]}

    def write(d: dict, name: str = "case.json") -> Path:
        p = tmp_path / name
        p.write_text(json.dumps(d))
        return p

    return copy.deepcopy(data), write
