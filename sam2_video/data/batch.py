"""`ClipBatch`: the DataLoader -> LightningModule batch (docs/architecture.md), and its collate function.

A plain dataclass of tensors and lists, so Lightning's ``apply_to_collection`` moves it to the
device; ``to_sam2()`` converts it to Meta's ``BatchedVideoDatapoint`` for ``SAM2Train``.
Beyond the architecture contract it carries ``prompt_frames`` and ``orig_sizes``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import torch

from sam2_video.data.clip_dataset import ClipItem


@dataclass
class ClipBatch:
    """B clips of T frames with O objects in total (all clips' objects concatenated)."""

    frames: torch.Tensor  # (T, B, 3, H, W) float32 SAM2-normalised, H = W = image_size
    masks: torch.Tensor  # (T, O, H, W) bool
    obj_to_clip: torch.Tensor  # (O,) int64 clip index b of each object
    object_ids: torch.Tensor  # (O,) int64 original track ids (-category: absent-category object, all-empty masks)
    category_ids: torch.Tensor  # (O,) int64
    point_coords: torch.Tensor  # (O, P, 2) float32 xy model pixels; padding rows (label -1)
    point_labels: torch.Tensor  # (O, P) int32 1 positive, 0 negative, -1 padding
    boxes: torch.Tensor  # (O, 4) float32 x0, y0, x1, y1 model pixels (zeros: object absent)
    frame_orders: torch.Tensor  # (T, B) int64 order_in_video
    video_ids: list[str]  # (B,)
    clip_ids: list[str]  # (B,) "<video_id>@<first order>"
    prompt_frames: torch.Tensor  # (O,) int64 clip frame the prompts refer to (0 with first_frame selection)
    orig_sizes: torch.Tensor  # (B, 2) int64 source frame (H, W)

    @property
    def num_frames(self) -> int:
        return self.frames.shape[0]

    @property
    def num_clips(self) -> int:
        return self.frames.shape[1]

    @property
    def num_objects(self) -> int:
        return self.masks.shape[1]

    def _map(self, fn) -> "ClipBatch":
        return dataclasses.replace(
            self,
            **{f.name: fn(getattr(self, f.name)) for f in dataclasses.fields(self)
               if isinstance(getattr(self, f.name), torch.Tensor)},
        )

    def pin_memory(self) -> "ClipBatch":
        """Copy with every tensor in page-locked memory (called by DataLoader(pin_memory=True))."""
        return self._map(torch.Tensor.pin_memory)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "ClipBatch":
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def to_sam2(self, dict_key: str = "all"):
        """Meta's ``BatchedVideoDatapoint``: img_batch (T, B, C, H, W), obj_to_frame_idx (T, O, 2)
        int32 [frame, clip], masks (T, O, H, W) bool, metadata with unique_objects_identifier
        (T, O, 3) [clip, track id, frame order] and frame_orig_size (T, O, 2) [H, W]."""
        from training.utils.data_utils import BatchedVideoDatapoint, BatchedVideoMetaData

        t, o = self.num_frames, self.num_objects
        dev = self.frames.device
        frame_idx = torch.arange(t, device=dev, dtype=torch.int32)[:, None].expand(t, o)
        clip_idx = self.obj_to_clip.to(torch.int32)[None, :].expand(t, o)
        obj_to_frame_idx = torch.stack([frame_idx, clip_idx], dim=-1)  # (T, O, 2)
        orders = self.frame_orders[:, self.obj_to_clip]  # (T, O)
        ident = torch.stack(
            [self.obj_to_clip[None, :].expand(t, o), self.object_ids[None, :].expand(t, o), orders], dim=-1
        ).long()  # (T, O, 3)
        orig = self.orig_sizes[self.obj_to_clip][None].expand(t, o, 2).long()  # (T, O, 2)
        return BatchedVideoDatapoint(
            img_batch=self.frames,
            obj_to_frame_idx=obj_to_frame_idx,
            masks=self.masks,
            metadata=BatchedVideoMetaData(unique_objects_identifier=ident, frame_orig_size=orig, batch_size=[t]),
            dict_key=dict_key,
            batch_size=[t],
        )


def collate_clips(items: Sequence[ClipItem]) -> ClipBatch:
    """Stack clips (all with the same T, image size and points per object) into a `ClipBatch`."""
    if not items:
        raise ValueError("collate_clips needs at least one clip")
    counts = [it.masks.shape[1] for it in items]
    return ClipBatch(
        frames=torch.stack([it.frames for it in items], dim=1),
        masks=torch.cat([it.masks for it in items], dim=1),
        obj_to_clip=torch.repeat_interleave(torch.arange(len(items)), torch.tensor(counts)),
        object_ids=torch.cat([it.object_ids for it in items]),
        category_ids=torch.cat([it.category_ids for it in items]),
        point_coords=torch.cat([it.point_coords for it in items]),
        point_labels=torch.cat([it.point_labels for it in items]),
        boxes=torch.cat([it.boxes for it in items]),
        frame_orders=torch.stack([it.frame_orders for it in items], dim=1),
        video_ids=[it.video_id for it in items],
        clip_ids=[it.clip_id for it in items],
        prompt_frames=torch.cat([it.prompt_frames for it in items]),
        orig_sizes=torch.tensor([it.orig_size for it in items], dtype=torch.int64),
    )
