"""Choosing k from the archive: one cluster for every finding it holds often enough.

A fixed k is a guess about the archive: too small and a rare but important finding (气胸, 骨折, 肺不张)
shares a cluster or gets none; too large and common findings split into wordings. Here the known-findings
lexicon says which findings a clause names. Each known finding held by at least `min_known` reports gets
a medoid of its own, chosen among its clauses only, so known findings stay apart whatever k turns out to
be. The clauses the lexicon does not name (and rare known findings) are grouped around leaders within
`radius`, the distance zh label accepts; each group held by at least `min_reports` reports adds one
cluster, and those clauses are clustered with that many medoids. A finding the lexicon names is known to
matter, so it needs fewer reports (`min_known`) than a group of unnamed wordings.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .distance import FindingGuide, Metric
from .kmedoids_miner import ClauseKMedoids
from .settings import ALL_CORES, DEFAULT_MAX_DISTANCE
from .weighted_kmedoids import weighted_loss

MIN_REPORTS = 5  # a group of clauses the lexicon does not name needs this many reports for a cluster
MIN_KNOWN_REPORTS = 2  # a finding the lexicon names is known to matter: two reports give it a cluster
_CHUNK = 1024


def leader_groups(items: Sequence[str], weights: np.ndarray, metric: Metric,
                  radius: float = DEFAULT_MAX_DISTANCE) -> tuple[list[int], np.ndarray]:
    """Leader clustering, heaviest clause first: a clause joins the first-found nearest leader within
    `radius`, else leads a group of its own. Returns the leaders and each group's total weight."""
    order = np.argsort(-np.asarray(weights, dtype=np.float64), kind="stable")
    leaders: list[int] = []
    reach: list[float] = []
    for start in range(0, len(order), _CHUNK):
        chunk = order[start:start + _CHUNK]
        old = len(leaders)
        if old:
            block = metric.cross([items[i] for i in chunk], [items[j] for j in leaders])
            near, near_d = block.argmin(axis=1), block.min(axis=1)
        for at, i in enumerate(chunk):
            if old and near_d[at] <= radius:
                reach[near[at]] += weights[i]
                continue
            if len(leaders) > old:
                row = metric.cross([items[i]], [items[j] for j in leaders[old:]])[0]
                best = int(row.argmin())
                if row[best] <= radius:
                    reach[old + best] += weights[i]
                    continue
            leaders.append(int(i))
            reach.append(float(weights[i]))
    return leaders, np.asarray(reach)


class FindingKMedoids:
    """Same fitted attributes as ClauseKMedoids (`medoid_indices_`, `labels_`, `distances_`, …), k chosen."""

    def __init__(self, guide: FindingGuide | None, min_reports: int = MIN_REPORTS, min_known: int = MIN_KNOWN_REPORTS,
                 radius: float = DEFAULT_MAX_DISTANCE, engine: str = "kmedoids", sample_size: int | None = None,
                 n_samples: int = 5, random_state: int = 0, workers: int = ALL_CORES, progress: bool = False) -> None:
        self.guide = guide
        self.min_reports = min_reports
        self.min_known = min_known
        self.radius = radius
        self.engine = engine
        self.sample_size = sample_size
        self.n_samples = n_samples
        self.random_state = random_state
        self.workers = workers
        self.progress = progress

    @property
    def metric(self) -> Metric:
        return Metric(self.guide, self.workers)

    def _part(self, k: int) -> ClauseKMedoids:
        return ClauseKMedoids(n_clusters=k, engine=self.engine, sample_size=self.sample_size,
                              n_samples=self.n_samples, random_state=self.random_state, workers=self.workers,
                              guide=self.guide)

    def fit(self, X: Sequence[str], sample_weight: Sequence[float], reports: Sequence[float] | None = None
            ) -> FindingKMedoids:
        """`reports`: how many reports hold each clause (its weight when not given)."""
        items = list(X)
        weights = np.asarray(sample_weight, dtype=np.float64)
        support = weights if reports is None else np.asarray(reports, dtype=np.float64)
        found = self.guide.findings(items) if self.guide else np.full(len(items), -1)
        held = {f: support[found == f].sum() for f in np.unique(found[found >= 0])}
        frequent = sorted(f for f, n in held.items() if n >= self.min_known)
        rest = np.flatnonzero(~np.isin(found, frequent))
        medoids: list[int] = []
        for f in frequent:
            at = np.flatnonzero(found == f)
            medoids.append(int(at[self._part(1).fit([items[i] for i in at], weights[at]).medoid_indices_[0]]))
        if len(rest):
            rest_items = [items[i] for i in rest]
            _, reach = leader_groups(rest_items, support[rest], self.metric, self.radius)
            k_rest = min(int((reach >= self.min_reports).sum()) or (0 if medoids else 1), len(rest))
            if k_rest:
                fitted = self._part(k_rest).fit(rest_items, weights[rest])
                medoids.extend(int(rest[i]) for i in fitted.medoid_indices_)
        self.medoid_indices_ = np.asarray(sorted(medoids), dtype=np.int64)
        self.cluster_centers_ = [items[i] for i in self.medoid_indices_]
        self.n_clusters_ = len(self.medoid_indices_)
        self.labels_, self.distances_ = self.metric.nearest(items, self.cluster_centers_)
        self.inertia_ = weighted_loss(self.distances_, weights)
        self.silhouette_: dict[int, float] = {}
        self.sample_losses_: list[float] = []
        return self

    def transform_nearest(self, X: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.metric.nearest(list(X), self.cluster_centers_)
