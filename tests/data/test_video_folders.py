"""DAVIS and polyp layouts build the same VideoIndex as the COCO path (identical masks)."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.davis import load_davis_index
from sam2_video.data.polyp import load_polyp_index
from sam2_video.data.sources import default_split_path, load_index
from sam2_video.errors import DatasetError


@pytest.mark.parametrize("split", ["train", "val"])
def test_coco_and_davis_give_identical_masks(synthetic_dir, split):
    coco = load_coco_index(synthetic_dir / f"{split}.json")
    davis = load_index("davis", default_split_path("davis", synthetic_dir, split), root=synthetic_dir)
    assert [v.video_id for v in coco] == [v.video_id for v in davis]
    for vc, vd in zip(coco, davis):
        assert len(vc) == len(vd) and set(vc.categories) == set(vd.categories)
        for t in range(len(vc)):
            assert vc.frames[t].image_path == vd.frames[t].image_path
            assert vc.frames[t].order == vd.frames[t].order
            assert vc.present(t) == vd.present(t)
            mc, md = vc.load_masks(t), vd.load_masks(t)
            assert mc.keys() == md.keys()
            assert all(np.array_equal(mc[k], md[k]) for k in mc)


def test_davis_errors(synthetic_dir, tmp_path):
    root = tmp_path / "davis"
    shutil.copytree(synthetic_dir / "JPEGImages", root / "JPEGImages")
    shutil.copytree(synthetic_dir / "Annotations", root / "Annotations")
    with pytest.raises(DatasetError, match="not a DAVIS root"):
        load_davis_index(tmp_path)
    with pytest.raises(DatasetError, match=r"video 'nope' has no folder"):
        load_davis_index(root, ["nope"])
    png = root / "Annotations" / "synth_000" / "00003.png"
    Image.open(png).convert("RGB").save(png)
    with pytest.raises(DatasetError, match=r"00003.png: annotation has mode RGB.*palettised"):
        load_davis_index(root, ["synth_000"])
    png.unlink()
    with pytest.raises(DatasetError, match=r"00003.jpg has no label .*00003.png"):
        load_davis_index(root, ["synth_000"])


def _write_polyp(src, dst, ext):
    """Polyp layout from the synthetic DAVIS copy: one object (track 1) per sequence, masks as ``ext``."""
    names = []
    for vdir in sorted((src / "JPEGImages").iterdir())[:2]:
        names.append(vdir.name)
        (dst / "images" / vdir.name).mkdir(parents=True)
        (dst / "masks" / vdir.name).mkdir(parents=True)
        for jpg in sorted(vdir.iterdir()):
            num = int(jpg.stem)
            shutil.copy(jpg, dst / "images" / vdir.name / f"frame{num}.jpg")  # "frame10" after "frame9"
            lab = np.asarray(Image.open(src / "Annotations" / vdir.name / f"{jpg.stem}.png"))
            cv2.imwrite(str(dst / "masks" / vdir.name / f"frame{num}{ext}"), (lab == 1).astype(np.uint8) * 255)
    (dst / "val_list.txt").write_text("\n".join(names) + "\n")
    return names


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_polyp_layout_matches_davis(synthetic_dir, tmp_path, ext):
    split = tmp_path / "valid"
    names = _write_polyp(synthetic_dir, split, ext)
    index = load_index("polyp", default_split_path("polyp", tmp_path, "val"))
    davis = load_davis_index(synthetic_dir, names)
    assert [v.video_id for v in index] == names and index.categories == {1: "polyp"}
    for vp, vd in zip(index, davis):
        assert [f.image_path.name for f in vp.frames][:3] == ["frame0.jpg", "frame1.jpg", "frame2.jpg"]
        for t in range(len(vp)):
            ref = vd.load_masks(t).get(1, np.zeros((96, 128), bool))
            got = vp.load_masks(t).get(1, np.zeros((96, 128), bool))
            if ext == ".png":
                assert np.array_equal(got, ref)
            else:  # JPEG noise: thresholding recovers all but a few edge pixels
                assert (got != ref).sum() <= 0.02 * max(ref.sum(), 1)


def test_polyp_missing_mask(synthetic_dir, tmp_path):
    split = tmp_path / "train"
    names = _write_polyp(synthetic_dir, split, ".png")
    (split / "masks" / names[0] / "frame4.png").unlink()
    with pytest.raises(DatasetError, match=r"frame4.jpg has no label"):
        load_polyp_index(split)
