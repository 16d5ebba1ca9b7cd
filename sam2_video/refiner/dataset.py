"""(image, prior, ground truth) triplets at the refiner resolution, and their Lightning data module.

Item: ``image`` (3, H, W) float32 RGB in [0, 1] (letterboxed), ``prior`` (C, H, W) float32 logits
(from ``sam2_prior/<key>.npy``, shape-checked), ``target`` (H, W) int64 class ids with ``IGNORE`` on
padding, ``index`` (). Training items are augmented (`TripletAugment`, one draw per item from
torch's RNG, so ``seed_everything`` makes runs reproducible). With ``temporal_pairs`` a training
item also holds ``next_image`` / ``next_prior`` / ``next_target`` / ``next_index``: the adjacent
annotated frame of the same video with the same augmentation draws (temporal-consistency term).
Class oversampling: a training frame is drawn with weight
``max over its classes of (1 / frequency) ** oversample_power`` (0 = uniform).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from sam2_video.errors import ConfigError, DatasetError
from sam2_video.refiner.augment import TripletAugment
from sam2_video.refiner.index import IndexMeta, IndexRecord, read_class_map, read_image, read_index
from sam2_video.pipeline.letterbox import Letterbox
from sam2_video.refiner.priors import load_prior, prior_path


class TripletDataset(Dataset):
    """Triplets of ``records`` (see the module docstring)."""

    def __init__(self, records: Sequence[IndexRecord], meta: IndexMeta, work_dir: Path, resolution: Sequence[int],
                 absent_logit: float, augment: TripletAugment | None = None, temporal_pairs: bool = False) -> None:
        self.records = list(records)
        self.meta, self.work_dir = meta, Path(work_dir)
        self.hw = (int(resolution[0]), int(resolution[1]))
        self.absent_logit = float(absent_logit)
        self.augment = augment
        self.neighbour = adjacent_frames(self.records) if temporal_pairs else None

    def __len__(self) -> int:
        return len(self.records)

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Letterboxed (H, W, 3) uint8 image, (C, H, W) float32 prior, (H, W) uint8 class map."""
        rec = self.records[i]
        image = read_image(rec.image_path)
        labels = read_class_map(rec.mask_path, self.meta.num_classes, image.shape[:2])
        box = Letterbox.fit(image.shape[:2], self.hw)
        prior = load_prior(prior_path(self.work_dir, rec.key), self.meta.num_classes, self.hw).astype(np.float32)
        return box.image(image), prior, box.labels(labels)

    def item(self, i: int, seed: int | None) -> dict[str, torch.Tensor]:
        """Frame ``i`` as tensors, augmented with the draws of ``seed`` (None: not augmented)."""
        image, prior, labels = self.load(i)
        if self.augment is not None and seed is not None:
            image, prior, labels = self.augment(image, prior, labels, np.random.default_rng(seed), self.absent_logit)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float() / 255.0,
            "prior": torch.from_numpy(np.ascontiguousarray(prior)),
            "target": torch.from_numpy(labels.astype(np.int64)),
            "index": torch.tensor(i),
        }

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        seed = int(torch.randint(0, 2**62, (1,))) if self.augment is not None else None
        out = self.item(i, seed)
        if self.neighbour is not None:  # the adjacent frame, with the same augmentation draws
            out.update({f"next_{k}": v for k, v in self.item(self.neighbour[i], seed).items()})
        return out


def adjacent_frames(records: Sequence[IndexRecord]) -> list[int]:
    """For each record, the position of the next annotated frame of its video (the previous one for
    the last frame; itself for a single-frame video)."""
    by_video: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_video.setdefault(r.video_id, []).append(i)
    out = list(range(len(records)))
    for rows in by_video.values():
        rows.sort(key=lambda i: records[i].frame_id)
        for j, i in enumerate(rows):
            out[i] = rows[j + 1] if j + 1 < len(rows) else rows[j - 1] if j else i
    return out


def oversample_weights(records: Sequence[IndexRecord], num_classes: int, power: float) -> np.ndarray:
    """(N,) sampling weight per frame (see the module docstring); frames without classes get the minimum."""
    freq = np.zeros(num_classes + 1)
    for r in records:
        freq[list(r.classes_present)] += 1
    freq = np.maximum(freq / max(len(records), 1), 1e-6)
    inv = freq ** -float(power)
    w = np.array([max((inv[c] for c in r.classes_present), default=0.0) for r in records])
    return np.where(w > 0, w, w[w > 0].min() if (w > 0).any() else 1.0)


class RefinerDataModule(L.LightningDataModule):
    """Train / val triplet loaders over ``<work_dir>/dataset.jsonl`` (built by make_data)."""

    def __init__(self, work_dir: str | Path, resolution: Sequence[int], absent_logit: float, batch_size: int = 16,
                 val_batch_size: int | None = None, num_workers: int = 0, oversample_power: float = 0.5,
                 augment: TripletAugment | None = None, seed: int = 0, train_split: str = "train",
                 val_split: str = "val", temporal_pairs: bool = False) -> None:
        super().__init__()
        if batch_size < 1 or num_workers < 0:
            raise ConfigError(f"refiner.datamodule: batch_size >= 1, num_workers >= 0 (got {batch_size}, {num_workers})")
        self.work_dir, self.resolution = Path(work_dir), [int(v) for v in resolution]
        self.absent_logit, self.augment = float(absent_logit), augment
        self.batch_size, self.val_batch_size = int(batch_size), int(val_batch_size or batch_size)
        self.num_workers, self.oversample_power, self.seed = int(num_workers), float(oversample_power), int(seed)
        self.splits = (train_split, val_split)
        self.temporal_pairs = bool(temporal_pairs)
        self.datasets: dict[str, TripletDataset] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        records, meta = read_index(self.work_dir)
        for split, train in zip(self.splits, (True, False)):
            rows = [r for r in records if r.split == split]
            if not rows:
                raise DatasetError(f"{self.work_dir / 'dataset.jsonl'}: no frames in split {split!r}; check the splits")
            self.datasets[split] = TripletDataset(rows, meta, self.work_dir, self.resolution, self.absent_logit,
                                                  self.augment if train else None, self.temporal_pairs and train)

    def train_dataloader(self) -> DataLoader:
        ds = self.datasets[self.splits[0]]
        gen = torch.Generator().manual_seed(self.seed)
        if self.oversample_power > 0:
            w = oversample_weights(ds.records, ds.meta.num_classes, self.oversample_power)
            sampler = WeightedRandomSampler(torch.as_tensor(w, dtype=torch.double), len(ds), replacement=True, generator=gen)
        else:
            sampler = torch.utils.data.RandomSampler(ds, generator=gen)
        return DataLoader(ds, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, drop_last=len(ds) > self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.datasets[self.splits[1]], batch_size=self.val_batch_size, shuffle=False,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)
