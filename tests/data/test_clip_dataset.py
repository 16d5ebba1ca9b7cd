"""ClipDataset: windows, object selection, short videos, determinism, and masks that invert exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sam2_video.data.augment import Augmentation
from sam2_video.data.clip_dataset import ClipDataset
from sam2_video.data.coco_clips import load_coco_index
from sam2_video.data.normalize import SAM2_MEAN, SAM2_STD
from sam2_video.prompt import PromptSpec
from sam2_video.data.resize import inverse_resize
from sam2_video.errors import ConfigError, DatasetError


@pytest.fixture(scope="module")
def train_index(synthetic_dir):
    return load_coco_index(synthetic_dir / "train.json")


@pytest.mark.parametrize("mode", ["letterbox", "square"])
def test_val_clip_masks_invert_to_source_pixels(train_index, mode):
    ds = ClipDataset(train_index, image_size=128, clip_length=4, clip_stride=3, resize_mode=mode, max_objects=5)
    item = ds[1]
    video = train_index.video(item.video_id)
    start = [f.order for f in video.frames].index(int(item.frame_orders[0]))
    assert item.frames.shape == (4, 3, 128, 128) and item.masks.shape[:2] == (4, len(item.object_ids))
    assert item.orig_size == (96, 128)
    back = inverse_resize(item.masks, item.orig_size, mode)  # (T, N, 96, 128)
    for t in range(4):
        src = video.load_mask_stack(start + t, item.object_ids.tolist())
        assert torch.equal(back[t], torch.from_numpy(src))
    assert set(item.object_ids.tolist()) == video.present(start)  # first_frame selection
    assert (item.prompt_frames == 0).all()


def test_normalisation_matches_sam2(train_index):
    ds = ClipDataset(train_index, image_size=128, clip_length=2, resize_mode="letterbox")
    item = ds[0]
    video = train_index.video(item.video_id)
    img = video.load_image(0)[:8, :8].astype(np.float32) / 255.0  # top-left: no resampling at 128 -> 128 wide
    expect = (img - np.array(SAM2_MEAN)) / np.array(SAM2_STD)
    assert np.allclose(item.frames[0, :, :8, :8].permute(1, 2, 0).numpy(), expect, atol=1e-5)
    assert torch.allclose(item.frames[0, :, 100:], torch.zeros(1), atol=0.03)  # letterbox pad is ~0


def test_windows_cover_every_frame_and_are_deterministic(train_index):
    ds = ClipDataset(train_index, image_size=64, clip_length=4, clip_stride=4, object_selection="first_appearance")
    per_video = {}
    for vi, s in ds.windows:
        per_video.setdefault(vi, []).append(s)
    assert all(starts == [0, 4, 6] for starts in per_video.values())  # 10 frames: tail window ends on frame 9
    a, b = ds[2], ds[2]
    assert torch.equal(a.frames, b.frames) and torch.equal(a.point_coords, b.point_coords)


def test_training_random_start_reproducible_per_epoch(train_index):
    ds = ClipDataset(train_index, image_size=64, clip_length=3, train=True, augment=Augmentation(), seed=1,
                     prompt=PromptSpec(num_pos_points=2, include_center=False))
    starts = {int(ds[(0, e)].frame_orders[0]) for e in range(12)}
    assert len(starts) > 2  # random start per epoch
    x, y = ds[(0, 5)], ds[(0, 5)]
    assert torch.equal(x.frames, y.frames) and torch.equal(x.masks, y.masks) and torch.equal(x.point_coords, y.point_coords)


def test_max_objects_and_prompts_on_masks(train_index):
    ds = ClipDataset(train_index, image_size=64, clip_length=2, max_objects=1, prompt=PromptSpec(num_pos_points=3, num_neg_points=2, include_center=True))
    for i in range(len(ds)):
        item = ds[i]
        assert item.masks.shape[1] == 1 and item.point_coords.shape == (1, 6, 2)
        m = item.masks[0, 0]
        pos = item.point_coords[0][item.point_labels[0] == 1].long()
        neg = item.point_coords[0][item.point_labels[0] == 0].long()
        assert m[pos[:, 1], pos[:, 0]].all() and not m[neg[:, 1], neg[:, 0]].any()
        assert item.category_ids[0] == train_index.video(item.video_id).categories[int(item.object_ids[0])]


def test_first_appearance_prompts_where_object_appears(synthetic_dir):
    index = load_coco_index(synthetic_dir / "train.json")
    ds = ClipDataset(index, image_size=128, clip_length=10, object_selection="first_appearance", max_objects=10)
    later = 0
    for i in range(len(ds)):
        item = ds[i]
        for n, pf in enumerate(item.prompt_frames.tolist()):
            assert item.masks[pf, n].any() and not item.masks[:pf, n].any()
            later += pf > 0
    assert later > 0  # the generator makes objects enter mid-video


def test_short_video_error_and_skip(train_index):
    with pytest.raises(DatasetError, match=r"video 'synth_000' has 10 frames, fewer than clip_length=11; set data.short_video=skip"):
        ClipDataset(train_index, image_size=64, clip_length=11)
    with pytest.raises(DatasetError, match="no clip of 11 frames"):
        ClipDataset(train_index, image_size=64, clip_length=11, short_video="skip")


def test_skip_counts_short_videos(train_index):
    from sam2_video.data.index import VideoIndex

    short = train_index.videos[0]
    cut = type(short)(video_id="short", frames=short.frames[:3], categories=short.categories)
    index = VideoIndex(videos=[cut, *train_index.videos[1:]], categories=train_index.categories, source="mixed")
    ds = ClipDataset(index, image_size=64, clip_length=4, short_video="skip")
    assert ds.skipped_videos == ["short"] and all(index.videos[vi].video_id != "short" for vi, _ in ds.windows)


def test_bad_settings_are_config_errors(train_index):
    with pytest.raises(ConfigError, match="object_selection"):
        ClipDataset(train_index, image_size=64, object_selection="random")
    with pytest.raises(ConfigError, match="short_video"):
        ClipDataset(train_index, image_size=64, short_video="drop")


def test_reduced_jpeg_decode_only_when_the_frame_stays_large_enough(train_index, tmp_path):
    from sam2_video.data.index import reduced_jpeg_factor

    jpg = tmp_path / "f.jpg"
    assert reduced_jpeg_factor(jpg, (200, 300), (64, 64)) == 2  # 1/4 would give 50 rows < 64
    assert reduced_jpeg_factor(jpg, (200, 300), (25, 38)) == 8
    assert reduced_jpeg_factor(jpg, (200, 300), (201, 300)) == 1 and reduced_jpeg_factor(jpg, (200, 300), None) == 1
    assert reduced_jpeg_factor(tmp_path / "f.png", (200, 300), (8, 8)) == 1  # PNG has no DCT scaling
    video = train_index.videos[0]
    assert video.load_image(0, (40, 60)).shape == (48, 64, 3)  # 96 x 128 at 1/2
    # clips: the same masks, frames within a few grey levels of the full decode
    fast, full = (ClipDataset(train_index, image_size=32, clip_length=3, reduced_decode=r)[0] for r in (True, False))
    assert torch.equal(fast.masks, full.masks) and torch.equal(fast.object_ids, full.object_ids)
    diff = (fast.frames - full.frames).abs() * torch.tensor(SAM2_STD).view(3, 1, 1) * 255  # back to grey levels
    assert 0 < diff.mean() < 4
