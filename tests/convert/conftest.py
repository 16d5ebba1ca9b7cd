"""Raw-tree builders (EndoVis 2017 / 2018, CholecSeg8k, DAVIS, polyp) and COCO checks for converter tests."""

from __future__ import annotations

import hashlib
import json
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_util

REPO = Path(__file__).resolve().parents[2]
H, W = 64, 80

# EndoVis 2017: video number -> instrument folders (overlapping rectangles, parts in 3 bands)
E17_VIDEOS = {
    1: ["Right_Prograsp_Forceps_labels", "Left_Prograsp_Forceps_labels", "Maryland_Bipolar_Forceps_labels"],
    2: ["Left_Large_Needle_Driver_labels", "Other_labels"],
    3: ["Vessel_Sealer_labels", "Monopolar_Curved_Scissors_labels"],
}
E18_COLOURS = {0: (0, 0, 0), 1: (0, 255, 0), 2: (0, 255, 255), 3: (125, 255, 12), 4: (255, 55, 0), 6: (187, 155, 25)}
CHOLEC_GREYS = (50, 11, 21, 31, 22, 5)  # classes 0, 1, 2, 5, 10, 12


def save(path: Path, arr: np.ndarray, mode: str | None = None, **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(arr)
    if mode is not None:
        img = img.convert(mode)
    img.save(path, **kw)
    return path


def frame_rgb(seed: int, h: int = H, w: int = W) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def e17_label(k: int, t: int, h: int = H, w: int = W, empty: bool = False) -> np.ndarray:
    """Instrument ``k`` in frame ``t``: a rectangle with shaft (10) / wrist (20) / clasper (30) bands."""
    lab = np.zeros((h, w), np.uint8)
    if empty:
        return lab
    y0, x0 = 4 + 3 * t + 6 * k, 3 + 9 * k
    lab[y0:y0 + 12, x0:x0 + 30] = 10
    lab[y0 + 12:y0 + 20, x0:x0 + 30] = 20
    lab[y0 + 20:y0 + 26, x0 + 5:x0 + 25] = 30
    return lab


def build_endovis17(root: Path, frames: int = 3, h: int = H, w: int = W, videos=E17_VIDEOS) -> Path:
    for n, folders in videos.items():
        vdir = root / f"instrument_dataset_{n}"
        for t in range(frames):
            save(vdir / "left_frames" / f"frame{t:03d}.png", frame_rgb(100 * n + t, h, w))
            for k, name in enumerate(folders):
                empty = n == 1 and k == 2 and t == frames - 1  # an instrument that leaves the view
                save(vdir / "ground_truth" / name / f"frame{t:03d}.png", e17_label(k, t, h, w, empty))
    return root


def e18_label(t: int, seq: int) -> np.ndarray:
    rgb = np.zeros((H, W, 3), np.uint8)
    classes = sorted(E18_COLOURS)
    for i, cls in enumerate(classes[1:]):
        y0, x0 = (5 * i + t + seq) % 40, 7 * i
        rgb[y0:y0 + 20, x0:x0 + 25] = E18_COLOURS[cls]
    return rgb


def build_endovis18(root: Path, seqs=(1, 2, 3), frames: int = 3, labels_json: bool = True) -> Path:
    if labels_json:
        rows = [{"name": f"class-{c}", "color": list(col), "classid": c} for c, col in E18_COLOURS.items()]
        (root / "labels.json").parent.mkdir(parents=True, exist_ok=True)
        (root / "labels.json").write_text(json.dumps(rows))
    for s in seqs:
        for t in range(frames):
            save(root / f"seq_{s}" / "left_frames" / f"frame{t:03d}.png", frame_rgb(1000 + 10 * s + t))
            mode = "RGBA" if t == 1 else None  # some releases store RGBA labels
            save(root / f"seq_{s}" / "labels" / f"frame{t:03d}.png", e18_label(t, s), mode)
    return root


def cholec_label(t: int, clip: int) -> np.ndarray:
    grey = np.full((H, W), 50, np.uint8)
    for i, g in enumerate(CHOLEC_GREYS[1:]):
        y0, x0 = (6 * i + t + clip) % 40, 8 * i
        grey[y0:y0 + 18, x0:x0 + 22] = g
    grey[0, :] = 255  # watershed edges: ignored
    grey[1, :5] = 0  # unlabelled: ignored
    return np.stack([grey] * 3, -1)  # the release stores RGB watershed masks


def build_cholecseg8k(root: Path, clips=(("video01", 80), ("video01", 160), ("video12", 0)), frames: int = 3) -> Path:
    for i, (video, start) in enumerate(clips):
        cdir = root / video / f"{video}_{start:05d}"
        for t in range(start, start + frames):
            save(cdir / f"frame_{t}_endo.png", frame_rgb(t + 7 * i))
            save(cdir / f"frame_{t}_endo_watershed_mask.png", cholec_label(t, i))
            save(cdir / f"frame_{t}_endo_color_mask.png", frame_rgb(t))
    return root


def build_davis(root: Path, videos=("bear", "car"), frames: int = 3) -> Path:
    for v, name in enumerate(videos):
        for t in range(frames):
            save(root / "JPEGImages" / name / f"{t:05d}.jpg", frame_rgb(50 + 10 * v + t), quality=90)
            lab = np.zeros((H, W), np.uint8)
            lab[5 + t:30 + t, 5:40] = 1
            lab[20:50, 30 + t:70] = 2  # overlaps object 1 (later value wins in the PNG)
            if v == 1:
                lab[40:60, 2:20] = 5
            img = Image.fromarray(lab, "P")
            img.putpalette([0, 0, 0, 200, 0, 0, 0, 200, 0] + [0] * (256 * 3 - 9))
            (root / "Annotations" / name).mkdir(parents=True, exist_ok=True)
            img.save(root / "Annotations" / name / f"{t:05d}.png")
    return root


def build_polyp(root: Path, subset: str = "train", seqs=("case1", "case2"), frames: int = 3) -> Path:
    base = root / subset
    base.mkdir(parents=True, exist_ok=True)
    (base / f"{subset}_list.txt").write_text("\n".join(seqs) + "\n")
    for s, seq in enumerate(list(seqs) + ["unlisted"]):
        for t in range(1, frames + 1):
            save(base / "images" / seq / f"{seq}_{t}.jpg", frame_rgb(300 + 10 * s + t), quality=90)
            m = np.zeros((H, W), np.uint8)
            m[10 + t:40 + t, 15:50 + s] = 255
            save(base / "masks" / seq / f"{seq}_{t}.jpg", m, quality=75)  # JPEG noise around the edges
    return root


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def decoded(dataset: dict) -> dict[tuple[str, int], dict[int, tuple[int, np.ndarray]]]:
    """(video_id, order) -> {track_id: (category_id, mask)} from a COCO clip dict."""
    out: dict = {(im["video_id"], im["order_in_video"]): {} for im in dataset["images"]}
    by_id = {im["id"]: im for im in dataset["images"]}
    for ann in dataset["annotations"]:
        im = by_id[ann["image_id"]]
        seg = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        mask = mask_util.decode(seg).astype(bool)
        assert mask.shape == (im["height"], im["width"])
        assert ann["area"] == int(mask.sum()) and ann["iscrowd"] == 0
        ys, xs = np.nonzero(mask)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        key = (im["video_id"], im["order_in_video"])
        assert ann["track_id"] not in out[key]
        out[key][ann["track_id"]] = (ann["category_id"], mask)
    return out


def assert_matches(dataset: dict, expected: dict[tuple[str, int], dict[int, tuple[int, np.ndarray]]]) -> None:
    """Every frame's decoded instances equal ``expected`` pixel for pixel (empty masks omitted)."""
    got = decoded(dataset)
    assert set(got) == set(expected)
    for key, objs in expected.items():
        want = {t: (c, m) for t, (c, m) in objs.items() if m.any()}
        assert set(got[key]) == set(want), key
        for track, (cat, mask) in want.items():
            assert got[key][track][0] == cat, (key, track)
            np.testing.assert_array_equal(got[key][track][1], mask, err_msg=f"{key} track {track}")


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}


def read_label(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


@pytest.fixture
def raw() -> SimpleNamespace:
    """Builders and checks shared by the converter tests."""
    return SimpleNamespace(
        endovis17=build_endovis17, endovis18=build_endovis18, cholecseg8k=build_cholecseg8k,
        davis=build_davis, polyp=build_polyp, save=save, frame_rgb=frame_rgb, e17_label=e17_label,
        load_json=load_json, decoded=decoded, assert_matches=assert_matches, digest=tree_digest,
        read_label=read_label, E17_VIDEOS=E17_VIDEOS, E18_COLOURS=E18_COLOURS, CHOLEC_GREYS=CHOLEC_GREYS,
        H=H, W=W,
    )


@pytest.fixture
def script() -> Callable[[str], Callable[[list[str]], int]]:
    """``script("convert_endovis_to_coco")`` -> its ``main(argv)``."""

    def _load(name: str) -> Callable[[list[str]], int]:
        return runpy.run_path(str(REPO / "data" / f"{name}.py"))["main"]

    return _load
