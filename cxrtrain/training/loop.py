"""One epoch of training and its validation: the model being trained with what steps it (`Learner`),
`train_one_epoch`, `validate`, and the number the best epoch is chosen by."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from .. import distributed
from ..data.cache import ImagePack
from ..data.labelled import Labelled
from ..evaluation.reports import split_reports
from ..inference.logits import predict_logits
from ..model.losses import TaskLoss
from ..model.networks import CXRNet
from ..model.optimisers import EpochSchedule, build_optimizer
from ..settings import FitOptions


@dataclass
class Learner:
    """The network, the module that trains it (itself, or its DDP wrapper), and its optimiser, learning-rate
    schedule and AMP gradient scaler."""

    model: CXRNet
    trained: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: EpochSchedule
    scaler: torch.amp.GradScaler

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def fresh_optimizer(self, opts: FitOptions, device: torch.device, amp: bool) -> None:
        """A new optimiser, schedule and scaler (U-SelfTrained's second stage)."""
        self.optimizer, self.schedule, self.scaler = optimisation(self.model, opts, device, amp)


def optimisation(model: CXRNet, opts: FitOptions, device: torch.device,
                 amp: bool) -> tuple[torch.optim.Optimizer, EpochSchedule, torch.amp.GradScaler]:
    """A new optimiser of the model's parameters, its learning-rate schedule and the AMP gradient scaler."""
    optimizer = build_optimizer(opts.optimizer, model.parameters(), opts.lr, opts.weight_decay)
    return (optimizer, EpochSchedule(optimizer, opts.lr_schedule, opts.epochs, opts.warmup_epochs),
            torch.amp.GradScaler(device.type, enabled=amp))


@dataclass
class EpochResult:
    train_loss: float
    images_per_s: float
    seconds: float


def train_one_epoch(learner: Learner, loader: torch.utils.data.DataLoader, criterion: TaskLoss,
                    ctx: distributed.Context, amp: bool, progress: bool, description: str) -> EpochResult:
    """One pass over the training batches; the loss is the mean over counted cells of every rank."""
    device = ctx.device
    learner.trained.train()
    total = torch.zeros((), device=device)
    count = torch.zeros((), device=device)
    seen, start = 0, time.perf_counter()
    bar = tqdm(loader, desc=description, unit="batch", leave=False, disable=not (ctx.main and progress),
               file=sys.stderr)
    for step, (images, targets, mask, _) in enumerate(bar):
        images = images.to(device, non_blocking=True)
        targets, mask = targets.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            logits = learner.trained(images)
        loss_sum, n = criterion(logits, targets, mask)
        # Divide by the number of counted cells in the whole (all-rank) batch; DDP averages gradients
        # over ranks, so multiplying by the world size gives exactly the one-process gradient.
        loss = loss_sum * ctx.world / ctx.sum(n.float()).clamp(min=1)
        learner.optimizer.zero_grad(set_to_none=True)
        learner.scaler.scale(loss).backward()
        learner.scaler.step(learner.optimizer)
        learner.scaler.update()
        total += loss_sum.detach()
        count += n
        seen += len(images) * ctx.world
        if step % 10 == 0 and not bar.disable:
            rate = seen / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix(loss=f"{(total / count.clamp(min=1)).item():.4f}", img_s=f"{rate:.1f}")
    seconds = time.perf_counter() - start
    train_loss = float(ctx.sum(total) / ctx.sum(count).clamp(min=1))
    return EpochResult(train_loss, seen / max(seconds, 1e-9), seconds)


def validate(model: CXRNet, labels: Labelled, pack: ImagePack, val: np.ndarray, criterion: TaskLoss,
             opts: FitOptions, ctx: distributed.Context, workers: int, amp: bool) -> tuple[float, float | None]:
    """(validation loss, mean validation AUC or None) of the model as it is."""
    logits = predict_logits(model, pack, val, sum(labels.widths), ctx, opts.batch_size, workers, amp)
    # Validation loss uses the policy targets (U-SelfTrained cells stay masked): certain labels decide.
    total, n = criterion(torch.from_numpy(logits), torch.from_numpy(labels.targets[val]),
                         torch.from_numpy(labels.mask[val]))
    report = split_reports(opts.task, labels.task.outputs, labels.widths, opts.blank, "val", labels.task.values[val],
                           logits, {o: {"threshold": 0.5} for o in labels.task.outputs}, None)
    return float(total) / max(int(n), 1), report["mean_auc"]


def selection_score(select_by: str, val_loss: float, val_auc: float | None) -> float:
    """The number the best epoch minimises: validation loss, or minus the mean validation AUC."""
    if select_by == "loss":
        return val_loss
    return math.inf if val_auc is None else -val_auc
