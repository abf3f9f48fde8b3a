"""CLARA-style k-medoids for archives too large for one distance matrix.

Several samples of distinct clauses are clustered with the exact weighted solver; each
candidate medoid set is scored on a larger evaluation subset and the cheapest one is kept.
Memory is bounded by sample_size² for the matrix plus chunked medoid distances.

Samples are stratified: the most frequent clauses (a quarter of the sample) are always in,
because a few texts such as 心肺未见异常 carry much of the weight, and the rest is a uniform
draw whose weights are scaled by the inverse sampling rate, so each sample's weighted loss
estimates the loss over all clauses without bias.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from tqdm import tqdm

from . import weighted_kmedoids
from .distance import Metric

TOP_SHARE = 0.25


def stratified_sample(weights: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(indices, weights) of a sample of distinct clauses whose weighted sums are unbiased."""
    n = len(weights)
    if size >= n:
        return np.arange(n), weights.astype(np.float64)
    n_top = int(size * TOP_SHARE)
    order = np.argsort(-weights, kind="stable")
    top, rest = order[:n_top], order[n_top:]
    drawn = rng.choice(rest, size=size - n_top, replace=False)
    scale = len(rest) / len(drawn)
    index = np.concatenate([top, drawn])
    sample_weights = np.concatenate([weights[top], weights[drawn] * scale]).astype(np.float64)
    return index, sample_weights


def medoid_loss(items: Sequence[str], weights: np.ndarray, medoid_items: Sequence[str], metric: Metric) -> float:
    """Weighted loss of a medoid set over `items`."""
    _, dist = metric.nearest(items, medoid_items)
    return weighted_kmedoids.weighted_loss(dist, weights)


def clara(items: Sequence[str], weights: np.ndarray, k: int, sample_size: int, n_samples: int,
          eval_size: int, seed: int, solver: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
          metric: Metric, progress: bool = False) -> tuple[np.ndarray, list[float]]:
    """Medoid indices into `items`, and every sample's loss on the evaluation subset (the least is theirs)."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(weights, dtype=np.float64)
    eval_index, eval_weights = stratified_sample(weights, eval_size, rng)
    eval_items = [items[i] for i in eval_index]
    best: np.ndarray | None = None
    best_loss = np.inf
    losses = []
    for _ in tqdm(range(n_samples), desc="CLARA samples", unit="sample", disable=not progress, leave=False):
        index, sample_weights = stratified_sample(weights, sample_size, rng)
        if best is not None:  # as in CLARA, the best medoids so far join every later sample
            extra = np.setdiff1d(best, index)
            index = np.concatenate([index, extra])
            sample_weights = np.concatenate([sample_weights, weights[extra]])
        sample_items = [items[i] for i in index]
        dist = metric.pairwise(sample_items)
        medoids = index[solver(dist, sample_weights, k)]
        del dist
        loss = medoid_loss(eval_items, eval_weights, [items[i] for i in medoids], metric)
        losses.append(loss)
        if loss < best_loss:
            best, best_loss = np.sort(medoids), loss
    assert best is not None
    return best, losses
