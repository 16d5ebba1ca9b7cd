"""One rule for VOID (255) and for frame order, read the same by the training loaders and the converter."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sam2_video.convert.video_folder import convert_video_folder
from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.davis import load_davis_index
from sam2_video.data.folders import natural_key
from sam2_video.data.mask_io import VOID, davis_palette
from sam2_video.data.polyp import load_polyp_index

H, W = 12, 16
STEMS = ["0", "1", "2", "10", "11", "9"]  # unpadded: a plain string sort would put 10 before 2


def _labels(k: int) -> np.ndarray:
    lab = np.zeros((H, W), np.uint8)
    lab[1 : 4 + k % 3, 1:6] = 1
    lab[6:10, 2 + k % 4 : 9 + k % 4] = 2
    lab[:, -3:] = VOID  # a void band, also over object 2 on some frames
    lab[0, :] = VOID
    return lab


def _frame(k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    return (rng.random((H, W, 3)) * 255).astype(np.uint8)


def _video(images, labels, prefix: str, save_label) -> None:
    """Frames ``<prefix><stem>.png`` in ``images`` and their labels (``save_label(k, path_stem)``) in ``labels``."""
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for stem in STEMS:
        Image.fromarray(_frame(int(stem))).save(images / f"{prefix}{stem}.png")
        save_label(int(stem), labels / f"{prefix}{stem}")


def _palette_png(k, stem) -> None:
    png = Image.fromarray(_labels(k), mode="P")
    png.putpalette(davis_palette())
    png.save(stem.with_suffix(".png"))


def _davis(root):
    for name in ("vid_b", "vid_a"):
        _video(root / "JPEGImages" / name, root / "Annotations" / name, "", _palette_png)
    return root


def _same_frames_and_masks(loaded, converted):
    assert [v.video_id for v in loaded.videos] == [v.video_id for v in converted.videos]
    for lv, cv in zip(loaded.videos, converted.videos):
        assert len(lv.frames) == len(cv.frames)
        assert sorted(lv.categories) == sorted(cv.categories)
        for t in range(len(lv.frames)):
            # the converter copies frame t to <order>.png: same bytes <=> same frame order
            assert lv.frames[t].image_path.read_bytes() == cv.frames[t].image_path.read_bytes(), (lv.video_id, t)
            assert lv.frames[t].order == cv.frames[t].order == t
            a, b = lv.load_masks(t), cv.load_masks(t)
            assert a.keys() == b.keys()
            for tid in a:
                np.testing.assert_array_equal(a[tid], b[tid])


def test_davis_void_and_order_are_read_the_same_by_loader_and_converter(tmp_path):
    root = _davis(tmp_path / "davis")
    loaded = load_davis_index(root)
    convert_video_folder(root, tmp_path / "out" / "all.json", tmp_path / "out" / "images", layout="davis")
    converted = load_coco_index(tmp_path / "out" / "all.json", tmp_path / "out" / "images")
    _same_frames_and_masks(loaded, converted)
    video = loaded.videos[0]
    assert video.video_id == "vid_a" and sorted(video.categories) == [1, 2]  # 255 is never an object
    order = sorted(STEMS, key=natural_key)
    assert [fr.image_path.stem for fr in video.frames] == order == ["0", "1", "2", "9", "10", "11"]
    for t, stem in enumerate(order):
        m = video.load_masks(t)
        lab = _labels(int(stem))
        assert not any(mask[lab == VOID].any() for mask in m.values())  # void pixels belong to no object
        np.testing.assert_array_equal(m[1], lab == 1)


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_polyp_order_and_threshold_are_read_the_same_by_loader_and_converter(tmp_path, ext):
    split = tmp_path / "raw" / "train"
    def binary(k, stem):
        Image.fromarray(((_labels(k) == 1) * 255).astype(np.uint8)).save(stem.with_name(stem.name + ext))

    for seq in ("case10", "case2"):
        _video(split / "images" / seq, split / "masks" / seq, "frame", binary)
    (split / "train_list.txt").write_text("case2\ncase10\n")
    loaded = load_polyp_index(split)
    convert_video_folder(tmp_path / "raw", tmp_path / "out" / "p.json", tmp_path / "out" / "images", layout="polyp")
    converted = load_coco_index(tmp_path / "out" / "p.json", tmp_path / "out" / "images")
    loaded_by_id = {v.video_id: v for v in loaded.videos}
    assert [v.video_id for v in loaded.videos] == ["case2", "case10"]
    converted.videos.sort(key=lambda v: [v.video_id for v in loaded.videos].index(v.video_id))
    _same_frames_and_masks(loaded, converted)
    assert [fr.image_path.stem for fr in loaded_by_id["case2"].frames] == [f"frame{s}" for s in sorted(STEMS, key=natural_key)]


@pytest.mark.parametrize("content", ["", "\n# only a comment\n\n"])
def test_empty_video_list_is_refused(tmp_path, content):
    from sam2_video.data.folders import polyp_videos
    from sam2_video.errors import DatasetError

    split = tmp_path / "valid"
    (split / "images" / "seq1").mkdir(parents=True)
    (split / "masks" / "seq1").mkdir(parents=True)
    (split / "val_list.txt").write_text(content)
    with pytest.raises(DatasetError, match="val_list.txt: the video list is empty"):
        polyp_videos(split)
