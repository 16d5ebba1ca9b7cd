"""ClipBatch collate, conversion to Meta's BatchedVideoDatapoint, and device moves."""

from __future__ import annotations

import pytest
import torch
from lightning_utilities.core.apply_func import apply_to_collection

from sam2_video.data.batch import ClipBatch, collate_clips
from sam2_video.data.clip_dataset import ClipDataset
from sam2_video.data.coco_clips import load_coco_index
from sam2_video.prompt import PromptSpec


@pytest.fixture(scope="module")
def batch(synthetic_dir) -> ClipBatch:
    index = load_coco_index(synthetic_dir / "train.json")
    ds = ClipDataset(index, image_size=64, clip_length=3, max_objects=2, prompt=PromptSpec(num_pos_points=1, num_neg_points=1, include_center=False))
    return collate_clips([ds[0], ds[3], ds[5]])


def test_collate_shapes(batch):
    t, b, o = 3, 3, batch.num_objects
    assert batch.frames.shape == (t, b, 3, 64, 64) and batch.frames.dtype == torch.float32
    assert batch.masks.shape == (t, o, 64, 64) and batch.masks.dtype == torch.bool
    assert batch.obj_to_clip.tolist() == sorted(batch.obj_to_clip.tolist()) and batch.obj_to_clip.max() == 2
    assert batch.point_coords.shape == (o, 2, 2) and batch.point_labels.dtype == torch.int32
    assert batch.boxes.shape == (o, 4) and batch.frame_orders.shape == (t, b)
    assert batch.orig_sizes.tolist() == [[96, 128]] * 3
    assert batch.clip_ids[0] == f"{batch.video_ids[0]}@{int(batch.frame_orders[0, 0])}"


def test_to_sam2(batch):
    d = batch.to_sam2()
    t, o = batch.num_frames, batch.num_objects
    assert d.img_batch.shape == (t, 3, 3, 64, 64) and d.num_frames == t and d.num_videos == 3
    assert d.obj_to_frame_idx.shape == (t, o, 2) and d.obj_to_frame_idx.dtype == torch.int32
    assert torch.equal(d.obj_to_frame_idx[2, :, 0], torch.full((o,), 2, dtype=torch.int32))
    assert torch.equal(d.obj_to_frame_idx[0, :, 1], batch.obj_to_clip.int())
    assert torch.equal(d.masks, batch.masks)
    ident = d.metadata.unique_objects_identifier
    assert ident.shape == (t, o, 3) and torch.equal(ident[1, :, 1], batch.object_ids)
    assert torch.equal(ident[1, :, 2], batch.frame_orders[1, batch.obj_to_clip])
    assert d.metadata.frame_orig_size.shape == (t, o, 2) and d.metadata.frame_orig_size[0, 0].tolist() == [96, 128]
    # the flat index Meta uses to pick each object's image
    flat = d.flat_obj_to_img_idx
    assert torch.equal(d.flat_img_batch[flat[1, 0]], batch.frames[1, batch.obj_to_clip[0]])


def test_lightning_style_moves_keep_type(batch):
    moved = apply_to_collection(batch, torch.Tensor, lambda x: x.to(torch.float64) if x.is_floating_point() else x)
    assert isinstance(moved, ClipBatch) and moved.frames.dtype == torch.float64 and moved.video_ids == batch.video_ids
    same = batch.to("cpu")
    assert isinstance(same, ClipBatch) and torch.equal(same.masks, batch.masks)
    from lightning.fabric.utilities.apply_func import move_data_to_device

    moved = move_data_to_device(batch, torch.device("cpu"))
    assert isinstance(moved, ClipBatch) and moved.clip_ids == batch.clip_ids and torch.equal(moved.frames, batch.frames)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="pinning needs a CUDA build")
def test_pin_memory(batch):
    pinned = batch.pin_memory()
    assert pinned.frames.is_pinned() and pinned.video_ids == batch.video_ids
