"""The clause clusterer as a scikit-learn-style estimator over encoded distinct clauses.

`fit(X, sample_weight)` takes distinct clause strings (token-encoded or plain characters)
and their counts; `predict(X)` assigns new clauses to the nearest medoid.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from ..errors import UserError
from . import clara, weighted_kmedoids
from .distance import FindingGuide, Metric
from .settings import ALL_CORES

# float32 matrix of 50k x 50k is 10 GB; beyond this the full fit is refused.
FULL_MATRIX_LIMIT = 50_000


class ClauseKMedoids:
    """Weighted k-medoids over clauses; with `sample_size` it fits CLARA-style."""

    def __init__(self, n_clusters: int = 10, k_range: tuple[int, int] | None = None,
                 engine: str = "kmedoids", sample_size: int | None = None, n_samples: int = 5,
                 eval_size: int = 100_000, random_state: int = 0, max_iter: int = 100,
                 workers: int = ALL_CORES, guide: FindingGuide | None = None,
                 full_matrix_limit: int = FULL_MATRIX_LIMIT, progress: bool = False) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.engine = engine
        self.sample_size = sample_size
        self.n_samples = n_samples
        self.eval_size = eval_size
        self.random_state = random_state
        self.max_iter = max_iter
        self.workers = workers
        self.guide = guide
        self.full_matrix_limit = full_matrix_limit
        self.progress = progress

    @property
    def metric(self) -> Metric:
        return Metric(self.guide, self.workers)

    def _candidates(self, n: int) -> list[int]:
        ks = list(range(self.k_range[0], self.k_range[1] + 1)) if self.k_range else [self.n_clusters]
        if ks[0] < 1 or (self.k_range and ks[0] < 2):
            raise UserError("k must be at least 1 (and $k_range must start at 2 or more)")
        if ks[0] > n:  # a range is cut to what the clauses allow (the silhouette curve shows what was tried)
            raise UserError(f"k={ks[0]} but there are only {n} distinct clauses after normalisation; "
                            f"use a k of at most {n}")
        return [k for k in ks if k <= n]

    def _solver(self) -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
        return partial(weighted_kmedoids.solve, engine=self.engine, seed=self.random_state, max_iter=self.max_iter)

    @classmethod
    def from_centers(cls, centers: Sequence[str], workers: int = ALL_CORES) -> ClauseKMedoids:
        """A fitted model from saved medoids, enough for `predict`."""
        model = cls(n_clusters=len(centers), workers=workers)
        model.cluster_centers_ = list(centers)
        model.n_clusters_ = len(centers)
        return model

    def fit(self, X: Sequence[str], sample_weight: Sequence[float] | None = None) -> ClauseKMedoids:
        items = list(X)
        weights = np.ones(len(items)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if len(weights) != len(items):
            raise ValueError("sample_weight must have one weight per clause")
        if len(items) == 0:
            raise UserError("no clauses left to cluster; check $column and that the reports are Chinese")
        ks = self._candidates(len(items))
        sampled = self.sample_size is not None and self.sample_size < len(items)
        if not sampled and len(items) > self.full_matrix_limit:
            gib = len(items) ** 2 * 4 / 2**30
            raise UserError(f"{len(items)} distinct clauses need a {gib:.0f} GiB distance matrix, more than the "
                            f"{self.full_matrix_limit} clause limit allows; add $sample 5000 to fit on samples")
        self.silhouette_ = {}
        self.sample_losses_: list[float] = []
        if sampled:
            k = self._pick_k_on_sample(items, weights, ks) if len(ks) > 1 else ks[0]
            medoids, self.sample_losses_ = clara.clara(items, weights, k, self.sample_size, self.n_samples,
                                                       self.eval_size, self.random_state, self._solver(),
                                                       self.metric, self.progress)
            labels, dist = self.metric.nearest(items, [items[i] for i in medoids], progress=self.progress)
        else:
            matrix = self.metric.pairwise(items, self.progress)
            medoids, labels, dist = self._fit_matrix(matrix, weights, ks)
        self.n_clusters_ = len(medoids)
        self.medoid_indices_ = medoids
        self.cluster_centers_ = [items[i] for i in medoids]
        self.labels_ = labels
        self.distances_ = dist
        self.inertia_ = weighted_kmedoids.weighted_loss(dist, weights)
        return self

    def _fit_matrix(self, matrix: np.ndarray, weights: np.ndarray, ks: list[int]):
        best = None
        for k in ks:
            medoids = weighted_kmedoids.solve(matrix, weights, k, self.engine, self.random_state, self.max_iter)
            labels, dist = weighted_kmedoids.assign(matrix, medoids)
            if len(ks) == 1:
                return medoids, labels, dist
            score = weighted_kmedoids.weighted_silhouette(matrix, labels, weights)
            self.silhouette_[k] = score
            if best is None or score > best[0]:
                best = (score, medoids, labels, dist)
        return best[1:]

    def _pick_k_on_sample(self, items: list[str], weights: np.ndarray, ks: list[int]) -> int:
        """With --sample and --k-range, k is chosen by silhouette on one stratified sample."""
        rng = np.random.default_rng(self.random_state)
        index, sample_weights = clara.stratified_sample(weights, self.sample_size, rng)
        matrix = self.metric.pairwise([items[i] for i in index])
        self._fit_matrix(matrix, sample_weights, [k for k in ks if k <= len(index)])
        return max(self.silhouette_, key=self.silhouette_.get)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.transform_nearest(X)[0]

    def transform_nearest(self, X: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(cluster index, distance to its medoid) for every clause."""
        if not hasattr(self, "cluster_centers_"):
            raise RuntimeError("fit the model first")
        return self.metric.nearest(list(X), self.cluster_centers_)
