"""Training sampler: a seeded permutation per epoch that also hands the epoch to the dataset."""

from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import Sampler


class ClipSampler(Sampler[tuple[int, int]]):
    """Yields ``(index, epoch)`` keys for `ClipDataset`, shuffled by ``(seed, epoch)``.

    Lightning calls `set_epoch` every epoch, so random clip starts, object subsets, augmentation and
    prompts change per epoch while staying reproducible for a seed and independent of ``num_workers``.
    When nobody calls `set_epoch` (e.g. behind Lightning's distributed sampler wrapper), each new
    iteration advances the epoch by itself.
    """

    def __init__(self, length: int, seed: int = 0, shuffle: bool = True) -> None:
        self.length = int(length)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.epoch = 0
        self._epoch_set = True  # the first iteration uses epoch 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self._epoch_set = True

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[tuple[int, int]]:
        if not self._epoch_set:
            self.epoch += 1
        self._epoch_set = False
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.length, generator=g).tolist()
        else:
            order = range(self.length)
        return iter((i, self.epoch) for i in order)
