"""Batches straight from the memory-mapped cache, and the samplers that order them.

The dataset is indexed by a whole batch of row numbers, so one worker slices one memmap block per
batch instead of collating single images. The samplers split every *global* batch between DDP
ranks, so N processes see exactly the images one process would, batch by batch.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .augment import augment_batch
from .cache import ImagePack
from .policies import positive_cells


class CachedBatches(Dataset):
    """rows[i] is the pack index of example i; targets/mask are the per-example label arrays;
    `augment` (training only) is applied to each uint8 image, seeded per batch from `seed`."""

    def __init__(self, pack: ImagePack, rows: np.ndarray, targets: np.ndarray, mask: np.ndarray,
                 augment: Callable[[torch.Tensor], torch.Tensor] | None = None, seed: int = 0):
        self.pack, self.rows = pack, np.asarray(rows, dtype=np.int64)
        self.augment, self.seed = augment, seed
        self.targets, self.mask = np.asarray(targets, dtype=np.float32), np.asarray(mask, dtype=bool)
        self._array: np.memmap | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self) -> dict:  # worker processes reopen the memmap themselves
        return {**self.__dict__, "_array": None}

    def __getitem__(self, batch: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._array is None:
            self._array = self.pack.open()
        index = np.asarray(batch, dtype=np.int64)
        images = torch.from_numpy(np.ascontiguousarray(self._array[self.rows[index]]))[:, None]
        if self.augment is not None:
            images = augment_batch(self.augment, images, index, self.seed)
        return (images, torch.from_numpy(self.targets[index]), torch.from_numpy(self.mask[index]),
                torch.from_numpy(index))


class TrainBatches(Sampler[list[int]]):
    """Per epoch: a seeded shuffle (or weighted draw with replacement), cut into global batches of
    batch_size, each split rank::world. A last global batch too small to give every rank two
    images is dropped (BatchNorm cannot train on one image)."""

    def __init__(self, n: int, batch_size: int, seed: int, world: int = 1, rank: int = 0,
                 weights: np.ndarray | None = None):
        self.n, self.batch_size, self.seed, self.world, self.rank = n, batch_size, seed, world, rank
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _global_batches(self) -> list[torch.Tensor]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        if self.weights is None:
            order = torch.randperm(self.n, generator=generator)
        else:
            order = torch.multinomial(self.weights, self.n, replacement=True, generator=generator)
        batches = list(order.split(self.batch_size))
        if batches and len(batches[-1]) < 2 * self.world:
            batches.pop()
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self._global_batches():
            yield batch[self.rank::self.world].tolist()

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest >= 2 * self.world else 0)


class EvalBatches(Sampler[list[int]]):
    """Each rank takes every world-th example, in order, with no padding; results are gathered after."""

    def __init__(self, n: int, batch_size: int, world: int = 1, rank: int = 0):
        self.mine = np.arange(rank, n, world)
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        for start in range(0, len(self.mine), self.batch_size):
            yield self.mine[start:start + self.batch_size].tolist()

    def __len__(self) -> int:
        return math.ceil(len(self.mine) / self.batch_size)


def oversample_weights(task: str, targets: np.ndarray, mask: np.ndarray, widths: list[int]) -> np.ndarray:
    """Sampling weight per example: 1 / size of its group, the group being the example's rarest
    positive class (or 'no positive'), so each group is drawn about equally often."""
    positives = positive_cells(task, targets, mask, widths)
    counts = positives.sum(axis=0).astype(np.float64)
    rarity = np.where(positives, counts[None, :], np.inf)
    group = np.where(positives.any(axis=1), rarity.argmin(axis=1), positives.shape[1])
    sizes = np.bincount(group, minlength=positives.shape[1] + 1).astype(np.float64)
    return 1.0 / sizes[group]


def make_loader(dataset: CachedBatches, sampler: Sampler, workers: int, pin: bool) -> DataLoader:
    return DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=workers, pin_memory=pin,
                      persistent_workers=workers > 0, prefetch_factor=4 if workers > 0 else None)
