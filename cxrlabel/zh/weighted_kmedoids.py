"""Weighted k-medoids on a precomputed matrix, and the weighted silhouette used to pick k.

Clauses are clustered once per distinct text, weighted by how often the text occurs, which
is exactly clustering every occurrence. Neither FasterPAM nor scikit-learn-extra take
weights, but for k >= 2 both compute the loss as sum_i D[i, medoid(i)] (row = point,
column = medoid); scaling row i by w_i therefore makes their loss the weighted one,
sum_i w_i d(i, medoid(i)). FasterPAM's k = 1 shortcut reads the matrix the other way round,
so k = 1 is solved exactly here instead, and the loss FasterPAM reports is checked against
the row-wise loss so a change of convention in the library cannot go unnoticed.
"""
from __future__ import annotations

import numpy as np

from ..errors import UserError
from .settings import KMEDOIDS_CHOICES



def weighted_loss(dist_to_medoid: np.ndarray, weights: np.ndarray) -> float:
    return float(np.dot(dist_to_medoid.astype(np.float64), weights))


def solve(dist: np.ndarray, weights: np.ndarray, k: int, engine: str = "kmedoids",
          seed: int = 0, max_iter: int = 100) -> np.ndarray:
    """Medoid indices minimising the weighted loss. `dist` is scaled in place and restored."""
    if engine not in KMEDOIDS_CHOICES:
        raise UserError(f"unknown engine {engine!r}; choose one of: {', '.join(KMEDOIDS_CHOICES)}")
    weights = np.asarray(weights, dtype=np.float32)
    if k == 1:  # exact: the clause with the least weighted distance to all others
        return np.array([int(np.argmin(weights @ dist))], dtype=np.int64)
    dist *= weights[:, None]
    try:
        if engine == "kmedoids":
            import kmedoids

            init = plus_plus_init(dist, k, seed)
            result = kmedoids.fasterpam(dist, init, max_iter=max_iter, n_cpu=1)
            medoids = np.asarray(result.medoids, dtype=np.int64)
            row_loss = float(dist[:, medoids].min(axis=1).sum(dtype=np.float64))
            if not np.isclose(result.loss, row_loss, rtol=1e-3, atol=1e-3):
                raise RuntimeError("kmedoids.fasterpam no longer reads rows as points; weights would be wrong")
        else:
            medoids = _solve_sklearn_extra(dist, k, seed, max_iter)
    finally:
        dist /= weights[:, None]
    return np.sort(medoids)


def plus_plus_init(scaled: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k-medoids++ on a weight-scaled matrix: the weighted 1-medoid first, then each next medoid drawn
    with probability proportional to its weighted distance to the nearest one chosen.

    O(n·k) against BUILD's O(n²·k): BUILD was most of the mining time on big archives, and FasterPAM's
    swaps from this start reach the same loss (README, "Speed and scale", gives the benchmark)."""
    rng = np.random.default_rng(seed)
    medoids = [int(np.argmin(scaled.sum(axis=0, dtype=np.float64)))]
    near = scaled[:, medoids[0]].astype(np.float64)
    for _ in range(k - 1):
        total = near.sum()
        if total <= 0:  # every point sits on a medoid: take the first unused one
            medoids.append(int(np.setdiff1d(np.arange(len(near)), medoids)[0]))
        else:
            medoids.append(int(rng.choice(len(near), p=near / total)))
        np.minimum(near, scaled[:, medoids[-1]], out=near)
    return np.array(medoids, dtype=np.int64)


def _solve_sklearn_extra(dist: np.ndarray, k: int, seed: int, max_iter: int) -> np.ndarray:
    try:
        from sklearn_extra.cluster import KMedoids
    except Exception as exc:  # ImportError, or a binary mismatch with numpy 2
        raise UserError(
            f"--engine sklearn-extra needs the scikit-learn-extra package, which could not be imported "
            f"({exc.__class__.__name__}); it only builds against numpy<2. Use the default $kmedoids kmedoids"
        ) from None
    model = KMedoids(n_clusters=k, metric="precomputed", method="pam", init="build",
                     max_iter=max_iter, random_state=seed)
    return np.asarray(model.fit(dist).medoid_indices_, dtype=np.int64)


def assign(dist: np.ndarray, medoids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest medoid (position in `medoids`) and distance to it, for every row."""
    to_medoids = dist[:, medoids]
    return to_medoids.argmin(axis=1), to_medoids.min(axis=1)


def weighted_silhouette(dist: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """Mean silhouette over all occurrences: row i stands for weights[i] identical clauses.

    Identical copies sit at distance 0 in their own cluster, so a(i) divides by W_c - 1.
    """
    k = int(labels.max()) + 1
    if k < 2:
        return 0.0
    weights = np.asarray(weights, dtype=np.float64)
    member = np.zeros((len(labels), k), dtype=np.float32)
    member[np.arange(len(labels)), labels] = weights
    sums = (dist @ member).astype(np.float64)  # weighted distance from each row to each cluster
    sizes = member.sum(axis=0).astype(np.float64)
    rows = np.arange(len(labels))
    own_size = sizes[labels] - 1.0
    a = np.divide(sums[rows, labels], own_size, out=np.zeros(len(labels)), where=own_size > 0)
    other = sums / np.where(sizes > 0, sizes, np.inf)
    other[rows, labels] = np.inf
    b = other.min(axis=1)
    denom = np.maximum(a, b)
    s = np.divide(b - a, denom, out=np.zeros(len(labels)), where=(denom > 0) & np.isfinite(b))
    s[own_size <= 0] = 0.0  # a cluster of one occurrence has silhouette 0 by definition
    return float(np.dot(s, weights) / weights.sum())
