"""Masked, optionally class-weighted losses, and logits -> probabilities for every head layout.

Losses return (sum, count) instead of a mean so that the caller can divide by the number of
counted cells over the *whole* batch across DDP ranks: masks differ between ranks, and a
per-rank mean would make multi-process training drift from single-process training.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def offsets(widths: list[int]) -> list[int]:
    return [int(x) for x in np.cumsum([0, *widths[:-1]])]


def balanced_weights(task: str, targets: np.ndarray, mask: np.ndarray, widths: list[int]) -> list[torch.Tensor]:
    """Per output, the weight of each class so that every class contributes equally on the training split.

    One logit: [negative weight, positive weight] = n / (2 * count). Softmax heads: n / (k * count_k).
    Soft targets (U-SelfTrained) count fractionally. An absent class gets weight n / k (count taken as 1).
    """
    if task == "multiclass":
        counted = targets[mask[:, 0], 0].astype(int)
        counts = np.bincount(counted, minlength=widths[0]).astype(np.float64)
        return [torch.tensor(len(counted) / (widths[0] * np.maximum(counts, 1)), dtype=torch.float32)]
    weights = []
    for j, width in enumerate(widths):
        t = targets[mask[:, j], j]
        n = len(t)
        if width == 3:
            counts = np.bincount(t.astype(int), minlength=3).astype(np.float64)
        else:
            positives = float(t.sum())
            counts = np.array([n - positives, positives])
        weights.append(torch.tensor(n / (width if width == 3 else 2) / np.maximum(counts, 1), dtype=torch.float32))
    return weights


class TaskLoss(nn.Module):
    """Masked BCE for one-logit outputs, masked cross-entropy for softmax heads."""

    def __init__(self, task: str, widths: list[int], class_weights: list[torch.Tensor] | None = None):
        super().__init__()
        self.task, self.widths, self.offsets = task, list(widths), offsets(widths)
        self.binary = [j for j, w in enumerate(widths) if w == 1] if task != "multiclass" else []
        self.softmax = [j for j, w in enumerate(widths) if w > 1] if task != "multiclass" else [0]
        weights = class_weights or [torch.ones(2 if (w == 1 and task != "multiclass") else w) for w in widths]
        for j, w in enumerate(weights):
            self.register_buffer(f"weight_{j}", w.float(), persistent=False)

    def weight(self, j: int) -> torch.Tensor:
        return getattr(self, f"weight_{j}")

    def forward(self, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = logits.float()
        mask = mask.bool()
        total = logits.new_zeros(())
        # Masked cells are multiplied by zero rather than dropped, so the graph always reaches the
        # logits: a DDP rank whose batch happens to be fully masked still joins the gradient all-reduce.
        if self.task == "multiclass":
            cell = F.cross_entropy(logits, targets[:, 0].long(), weight=self.weight(0), reduction="none")
            return (cell * mask[:, 0]).sum(), mask[:, 0].sum()
        if self.binary:
            columns = [self.offsets[j] for j in self.binary]
            z, t, m = logits[:, columns], targets[:, self.binary].float(), mask[:, self.binary]
            w = torch.stack([self.weight(j) for j in self.binary])  # (outputs, 2): negative, positive
            cell = -(w[:, 1] * t * F.logsigmoid(z) + w[:, 0] * (1 - t) * F.logsigmoid(-z))
            total = total + (cell * m).sum()
        for j in self.softmax:
            block = logits[:, self.offsets[j]:self.offsets[j] + 3]
            cell = F.cross_entropy(block, targets[:, j].long(), weight=self.weight(j), reduction="none")
            total = total + (cell * mask[:, j]).sum()
        return total, mask.sum()


def output_scores(task: str, widths: list[int], logits: torch.Tensor) -> torch.Tensor:
    """Per output, the logit whose sigmoid is its probability. U-MultiClass: positive minus negative logit,
    i.e. softmax over {negative, positive} only (CheXpert). Multiclass: the logits themselves."""
    logits = logits.float()
    if task == "multiclass":
        return logits
    columns = []
    for j, start in enumerate(offsets(widths)):
        columns.append(logits[:, start + 1] - logits[:, start] if widths[j] == 3 else logits[:, start])
    return torch.stack(columns, dim=1)


def probabilities(task: str, widths: list[int], logits: torch.Tensor,
                  temperatures: list[float] | None = None) -> torch.Tensor:
    """Positive probability per output (softmax over classes for multiclass); `temperatures` (one per
    output, or one for multiclass) divide the scores first: the run's calibration."""
    scores = output_scores(task, widths, logits)
    if temperatures is not None:
        scores = scores / torch.as_tensor(temperatures, dtype=scores.dtype, device=scores.device)
    return torch.softmax(scores, dim=1) if task == "multiclass" else torch.sigmoid(scores)


def score_for_output(task: str, widths: list[int], logits: torch.Tensor, output: int) -> torch.Tensor:
    """The scalar per image whose gradient Grad-CAM follows: the logit that raises that output's probability."""
    return output_scores(task, widths, logits)[:, output]
