"""Mining: reports -> clauses -> distinct normalised clauses -> weighted k-medoids -> clusters.

Pure computation; reading the input and writing the outputs live in cli.py / mine_outputs.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from .distance import TokenEncoder
from .kmedoids_miner import ClauseKMedoids
from .preprocess import ClausePreprocessor

CLAUSE_COLUMNS = ["row", "id", "clause_no", "clause", "normalized", "cue"]


@dataclass
class MineSettings:
    k: int = 10
    k_range: tuple[int, int] | None = None
    distance: str = "tokens"
    engine: str = "kmedoids"
    seed: int = 0
    sample: int | None = None
    n_samples: int = 5
    workers: int = -1


@dataclass
class MineResult:
    clauses: pd.DataFrame  # one row per clustered clause, with cluster_id and distance
    clusters: pd.DataFrame  # one row per cluster, largest first
    n_reports: int
    n_reports_with_clauses: int
    n_boilerplate: int
    n_empty: int
    coverage: list[float]  # share of reports with clauses covered by the top 1, 2, ... clusters
    silhouette: dict[int, float] = field(default_factory=dict)
    medoid_tokens: list[tuple[str, ...]] = field(default_factory=list)
    loss: float = 0.0


def collect_clauses(ids: Sequence[str], texts: Sequence[str], pre: ClausePreprocessor,
                    progress: bool = False) -> tuple[pd.DataFrame, int, int]:
    """Clusterable clauses of every report, and how many were boilerplate or empty."""
    rows, boilerplate, empty = [], 0, 0
    for row, (rid, text) in enumerate(tqdm(zip(ids, texts), total=len(texts), desc="clauses",
                                           unit="report", disable=not progress, leave=False)):
        for clause in pre.clauses(text):
            if clause.boilerplate:
                boilerplate += 1
            elif not clause.normalized:
                empty += 1
            else:
                rows.append((row, rid, clause.clause_no, clause.text, clause.normalized, clause.cue.value))
    return pd.DataFrame(rows, columns=CLAUSE_COLUMNS), boilerplate, empty


def encode(normalized: Sequence[str], tokens: Sequence[tuple[str, ...]], mode: str,
           encoder: TokenEncoder | None = None) -> list[str]:
    """Strings whose Levenshtein distance is the token (or character) edit distance."""
    if mode == "chars":
        return list(normalized)
    encoder = encoder or TokenEncoder()
    return [encoder.encode(t) for t in tokens]


def mine(ids: Sequence[str], texts: Sequence[str], settings: MineSettings, pre: ClausePreprocessor,
         progress: bool = False) -> MineResult:
    clauses, n_boilerplate, n_empty = collect_clauses(ids, texts, pre, progress)
    counts = clauses["normalized"].value_counts(sort=False)
    unique = counts.index.tolist()
    tokens = [pre.tokens(u) for u in unique]
    model = ClauseKMedoids(n_clusters=settings.k, k_range=settings.k_range, engine=settings.engine,
                           sample_size=settings.sample, n_samples=settings.n_samples,
                           random_state=settings.seed, workers=settings.workers, progress=progress)
    model.fit(encode(unique, tokens, settings.distance), counts.to_numpy())
    # Number clusters 1..k from the most to the least frequent, so cluster 1 is the biggest.
    weight = np.bincount(model.labels_, weights=counts.to_numpy(), minlength=model.n_clusters_)
    order = sorted(range(model.n_clusters_), key=lambda c: (-weight[c], unique[model.medoid_indices_[c]]))
    cluster_id = {c: i + 1 for i, c in enumerate(order)}
    per_unique = pd.DataFrame({"normalized": unique,
                               "cluster_id": [cluster_id[c] for c in model.labels_],
                               "distance": model.distances_.round(4)})
    clauses = clauses.merge(per_unique, on="normalized", how="left")
    medoids = [unique[model.medoid_indices_[c]] for c in order]
    clusters = summarize(clauses, medoids)
    with_clauses = clauses["row"].nunique()
    coverage = [clauses.loc[clauses["cluster_id"] <= top, "row"].nunique() / with_clauses
                for top in range(1, model.n_clusters_ + 1)] if with_clauses else []
    return MineResult(clauses, clusters, len(texts), with_clauses, n_boilerplate, n_empty, coverage,
                      dict(model.silhouette_), [tokens[model.medoid_indices_[c]] for c in order], model.inertia_)


def summarize(clauses: pd.DataFrame, medoids: list[str], top: int = 10) -> pd.DataFrame:
    """One row per cluster: size, reach and its most frequent clauses as written."""
    with_clauses = max(clauses["row"].nunique(), 1)
    rows = []
    for number, medoid in enumerate(medoids, 1):
        members = clauses[clauses["cluster_id"] == number]
        written = members["clause"].value_counts()
        cues = members["cue"].value_counts(normalize=True)
        rows.append({
            "cluster_id": number,
            "medoid": medoid,
            "n_clauses": len(members),
            "n_unique": members["normalized"].nunique(),
            "n_reports": members["row"].nunique(),
            "report_share": round(members["row"].nunique() / with_clauses, 4),
            "negated_share": round(float(cues.get("negated", 0.0)), 4),
            "uncertain_share": round(float(cues.get("uncertain", 0.0)), 4),
            "top_members": " | ".join(f"{text} ×{count}" for text, count in written.head(top).items()),
            "members": list(written.items()),
        })
    return pd.DataFrame(rows)
