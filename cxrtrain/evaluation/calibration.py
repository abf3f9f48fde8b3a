"""Temperature scaling (Guo et al., 2017) on the validation split.

A network trained with early stopping on a small set is usually over- or under-confident. One
temperature per output divides its score before the sigmoid: the ranking (so every AUC) stays as
it is, and the probabilities mean what they say on validation. The temperature is found by a grid
search on the validation negative log-likelihood, which cannot diverge the way a gradient fit on
a few dozen images can.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..model.losses import output_scores
from .metrics import scorable

GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 401))


def _best_temperature(nll: Callable[[float], float]) -> float:
    losses = [nll(float(t)) for t in GRID]
    return float(GRID[int(np.argmin(losses))])


def fit_temperatures(task: str, widths: list[int], outputs: list[str], logits: np.ndarray, values: np.ndarray,
                     blank: str) -> tuple[list[float], list[str]]:
    """(temperatures, notes): one per output (one for multiclass), 1.0 where validation cannot say."""
    scores = output_scores(task, widths, torch.from_numpy(logits)).double()
    if task == "multiclass":
        target = torch.from_numpy(values[:, 0].astype(np.int64))
        return [_best_temperature(lambda t: float(F.cross_entropy(scores / t, target)))], []
    temperatures, notes = [], []
    for j in range(scores.shape[1]):
        labels, usable = scorable(values[:, j], blank)
        y = torch.from_numpy(labels[usable].astype(np.float64))
        z = scores[torch.from_numpy(usable), j]
        if len(y) == 0 or y.sum() in (0, len(y)):
            temperatures.append(1.0)
            notes.append(f"{outputs[j]}: validation has one class only; temperature 1 (uncalibrated)")
            continue
        temperatures.append(_best_temperature(
            lambda t: float(F.binary_cross_entropy_with_logits(z / t, y))))
    return temperatures, notes
