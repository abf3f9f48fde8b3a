"""Process-group set-up for `torchrun` (DDP) and the few collectives the trainer needs.

Under torchrun (WORLD_SIZE > 1) every process joins one group: gloo on CPU, nccl on CUDA. Alone,
the same calls are no-ops, so training code has a single path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from .errors import OptionError
from .settings import DEVICES


@dataclass
class Context:
    world: int
    rank: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        """Only the main process writes files and prints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def sum(self, value: torch.Tensor) -> torch.Tensor:
        if self.distributed:
            value = value.clone()
            dist.all_reduce(value)
        return value

    def from_main(self, value: object) -> object:
        """The main process's `value` on every rank (a decision only the main process can take)."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather_rows(self, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Reassemble per-rank results (each rank holds the examples `index`) in example order."""
        if not self.distributed:
            return rows[np.argsort(index, kind="stable")]
        parts: list = [None] * self.world
        dist.all_gather_object(parts, (index, rows))
        all_index = np.concatenate([p[0] for p in parts])
        return np.concatenate([p[1] for p in parts])[np.argsort(all_index, kind="stable")]

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def resolve_device(wanted: str, local_rank: int = 0) -> torch.device:
    if wanted not in DEVICES:
        raise OptionError("device", wanted, f"unknown; choose one of {', '.join(DEVICES)}")
    if wanted == "cuda" and not torch.cuda.is_available():
        raise OptionError("device", wanted, "no CUDA GPU is visible to PyTorch; use cpu (or auto)")
    if wanted == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", local_rank)


def init(device: str) -> Context:
    """Join the torchrun process group when launched by torchrun, else run as one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    resolved = resolve_device(device, local_rank)
    if world > 1 and not dist.is_initialized():
        if resolved.type == "cuda":
            torch.cuda.set_device(resolved)
        dist.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
    return Context(world, rank, local_rank, resolved)
