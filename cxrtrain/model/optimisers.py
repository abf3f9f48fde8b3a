"""Optimisers and per-epoch learning-rate schedules, all from torch.optim.

The schedule steps once per epoch, after validation, so its whole state is a few numbers saved in
last.pt and a resumed run continues on the same learning rates.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import torch
from torch.optim import lr_scheduler

from ..settings import PLATEAU_PATIENCE

WARMUP_START = 0.1  # warm-up starts at a tenth of --lr and reaches --lr after --warmup-epochs
# Schedules whose rates depend on the number of epochs: a run resumed with another number rebuilds them.
PLANNED = ("cosine", "step")
STEP_GAMMA = 0.1  # step: the rate falls tenfold after each third of the epochs


def build_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float,
                    weight_decay: float) -> torch.optim.Optimizer:
    """Adam (the CheXpert recipe), AdamW (decoupled weight decay) or SGD with Nesterov momentum."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


class EpochSchedule:
    """Linear warm-up over the first epochs, then none / cosine / step / plateau."""

    def __init__(self, optimizer: torch.optim.Optimizer, name: str, epochs: int, warmup_epochs: int):
        self.name, self.warmup_epochs, self.epoch = name, warmup_epochs, 0
        rest = max(epochs - warmup_epochs, 1)
        warm = ([lr_scheduler.LinearLR(optimizer, WARMUP_START, 1.0, total_iters=warmup_epochs)]
                if warmup_epochs else [])
        self.plateau = None
        if name == "plateau":
            self.plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=PLATEAU_PATIENCE)
            self.scheduler = warm[0] if warm else None
            return
        if name == "cosine":
            main: lr_scheduler.LRScheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=rest)
        elif name == "step":
            main = lr_scheduler.StepLR(optimizer, step_size=max(1, rest // 3), gamma=STEP_GAMMA)
        elif name == "none":
            main = lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
        else:
            raise ValueError(f"unknown schedule {name!r}")
        self.scheduler = lr_scheduler.SequentialLR(optimizer, [*warm, main], [warmup_epochs]) if warm else main

    def step(self, metric: float) -> None:
        """After each epoch; `metric` is the selection metric, lower is better (plateau watches it)."""
        self.epoch += 1
        if self.plateau is not None and self.epoch > self.warmup_epochs:
            self.plateau.step(metric)
        elif self.scheduler is not None:
            self.scheduler.step()

    @classmethod
    def replayed(cls, optimizer: torch.optim.Optimizer, name: str, epochs: int, warmup_epochs: int, lr: float,
                 done: int) -> "EpochSchedule":
        """The schedule planned for `epochs` as it stands after `done` epochs, on a restored optimizer: the rates
        a run resumed with another number of epochs goes on with are those of a run planned so from the start."""
        for group in optimizer.param_groups:
            group["lr"] = lr
            group.pop("initial_lr", None)
        schedule = cls(optimizer, name, epochs, warmup_epochs)
        with warnings.catch_warnings():  # torch warns of a scheduler stepped before its optimizer: a replay is
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(done):
                schedule.step(math.inf)
        return schedule

    def state_dict(self) -> dict:
        return {"epoch": self.epoch,
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "plateau": self.plateau.state_dict() if self.plateau is not None else None}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state["epoch"]
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.plateau is not None:
            self.plateau.load_state_dict(state["plateau"])
