"""Mining: reports -> clauses -> distinct normalised clauses -> weighted k-medoids -> clusters.

Pure computation; reading the input and writing the outputs live in cli/zh.py / mine_outputs.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from .cues import Cue
from .distance import FindingGuide, TokenEncoder
from .auto_k import FindingKMedoids
from .kmedoids_miner import ClauseKMedoids
from .known_findings import finding_guide, suggest_label
from .preprocess import ClausePreprocessor
from .settings import ALL_CORES, DEFAULT_MAX_DISTANCE

MIXED_SPREAD = 0.3  # mean member distance to the medoid above which a cluster is flagged mixed
MIXED_SHARE = 0.2  # share of members the lexicon names differently at which a cluster is flagged mixed
CLAUSE_COLUMNS = ["row", "id", "clause_no", "part_no", "clause", "normalized", "cue"]


@dataclass
class MineSettings:
    k: int | None = None  # None: one cluster per finding held by enough reports (auto_k); else fixed
    k_range: tuple[int, int] | None = None
    distance: str = "chars"
    guide: bool = True
    engine: str = "kmedoids"
    seed: int = 0
    sample: int | None = None
    n_samples: int = 5
    workers: int = ALL_CORES
    max_distance: float = DEFAULT_MAX_DISTANCE  # what zh label will accept; clusters.html shows the rest apart


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
    sample_losses: list[float] = field(default_factory=list)  # with --sample: each CLARA sample's estimated loss


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
                rows.append((row, rid, clause.clause_no, clause.part_no, clause.text, clause.normalized,
                             clause.cue.value))
    return pd.DataFrame(rows, columns=CLAUSE_COLUMNS), boilerplate, empty


def encode(normalized: Sequence[str], tokens: Sequence[tuple[str, ...]], mode: str,
           encoder: TokenEncoder | None = None) -> list[str]:
    """Strings whose Levenshtein distance is the token (or character) edit distance."""
    if mode == "chars":
        return list(normalized)
    encoder = encoder or TokenEncoder()
    return [encoder.encode(t) for t in tokens]


def encoded_clauses(texts: Sequence[str], pre: ClausePreprocessor, mode: str,
                    guide: FindingGuide | None) -> dict[str, str]:
    """Normalised clause -> the string the fit measures; token codes are registered with the guide, which
    reads the text behind them."""
    encoded = dict(zip(texts, encode(texts, [pre.tokens(u) for u in texts], mode, TokenEncoder())))
    if guide and mode == "tokens":
        for text, item in encoded.items():
            guide.register(item, text)
    return encoded


def mine(ids: Sequence[str], texts: Sequence[str], settings: MineSettings, pre: ClausePreprocessor,
         progress: bool = False) -> MineResult:
    clauses, n_boilerplate, n_empty = collect_clauses(ids, texts, pre, progress)
    # Normal descriptions (心影不大) are assigned to the finding they describe but take no part in the
    # fit: they are frequent, and as medoids they would pull clusters away from the findings.
    fitted = clauses[clauses["cue"] != Cue.NORMAL.value]
    counts = (fitted if len(fitted) else clauses)["normalized"].value_counts(sort=False)
    unique = counts.index.tolist()
    guide = finding_guide(pre.data) if settings.guide else None
    chosen = settings.k is None and settings.k_range is None
    model: ClauseKMedoids | FindingKMedoids
    if chosen:
        model = FindingKMedoids(guide, radius=settings.max_distance, engine=settings.engine,
                                sample_size=settings.sample, n_samples=settings.n_samples,
                                random_state=settings.seed, workers=settings.workers, progress=progress)
    else:
        model = ClauseKMedoids(n_clusters=settings.k or 1, k_range=settings.k_range, engine=settings.engine,
                               sample_size=settings.sample, n_samples=settings.n_samples,
                               random_state=settings.seed, workers=settings.workers, progress=progress,
                               guide=guide)
    everything = clauses["normalized"].unique().tolist()
    encoded = encoded_clauses(everything, pre, settings.distance, model.guide)
    if chosen:
        reports = (fitted if len(fitted) else clauses).groupby("normalized", sort=False)["row"].nunique()
        model.fit([encoded[u] for u in unique], counts.to_numpy(), reports.reindex(unique).to_numpy())
    else:
        model.fit([encoded[u] for u in unique], counts.to_numpy())
    labels, dist = model.transform_nearest([encoded[u] for u in everything])
    # Number clusters 1..k from the most to the least frequent, so cluster 1 is the biggest.
    within = model.distances_ <= settings.max_distance
    weight = np.bincount(model.labels_[within], weights=counts.to_numpy()[within], minlength=model.n_clusters_)
    order = sorted(range(model.n_clusters_), key=lambda c: (-weight[c], unique[model.medoid_indices_[c]]))
    cluster_id = {c: i + 1 for i, c in enumerate(order)}
    per_unique = pd.DataFrame({"normalized": everything,
                               "cluster_id": [cluster_id[c] for c in labels],
                               "distance": dist.round(4)})
    clauses = clauses.merge(per_unique, on="normalized", how="left")
    clauses["member"] = clauses["cue"] != Cue.NORMAL.value
    clauses["assigned"] = clauses["distance"] <= settings.max_distance
    medoids = [unique[model.medoid_indices_[c]] for c in order]
    clusters = summarize(clauses, medoids, pre.data.known_findings)
    kept = clauses[clauses["member"] & clauses["assigned"]]
    with_clauses = clauses["row"].nunique()
    coverage = [kept.loc[kept["cluster_id"] <= top, "row"].nunique() / with_clauses
                for top in range(1, model.n_clusters_ + 1)] if with_clauses else []
    return MineResult(clauses, clusters, len(texts), with_clauses, n_boilerplate, n_empty, coverage,
                      dict(model.silhouette_), [pre.tokens(unique[model.medoid_indices_[c]]) for c in order],
                      model.inertia_, list(model.sample_losses_))


def _known_label(text: str, known: Sequence[tuple[str, str]]) -> str:
    label = suggest_label(text, known)
    return "" if label == text else label


def summarize(clauses: pd.DataFrame, medoids: list[str], known: Sequence[tuple[str, str]],
              top: int = 10) -> pd.DataFrame:
    """One row per cluster: size, reach, spread, mixing, and its clauses as written.

    Only members within the distance zh label accepts count; the others are the cluster's unassigned
    clauses. A cluster is flagged mixed when its members are spread out or the known-findings lexicon
    names a large share of them differently from the cluster's own suggestion: those are the clusters a
    reviewer should split or fix with clause overrides."""
    with_clauses = max(clauses["row"].nunique(), 1)
    rows = []
    for number, medoid in enumerate(medoids, 1):
        near = clauses[clauses["cluster_id"] == number]
        members = near[near["member"] & near["assigned"]]
        normal = near[~near["member"] & near["assigned"]]
        unassigned = near[near["member"] & ~near["assigned"]]
        written = members["clause"].value_counts()
        cues = members["cue"].value_counts(normalize=True)
        own = _known_label(medoid, known)
        named = members["normalized"].map(lambda text: _known_label(text, known))
        other = named[(named != "") & (named != own)]
        other_share = len(other) / max(len(members), 1)
        spread = float(members["distance"].mean()) if len(members) else 0.0
        rows.append({
            "cluster_id": number,
            "medoid": medoid,
            "n_clauses": len(members),
            "n_unique": members["normalized"].nunique(),
            "n_reports": members["row"].nunique(),
            "report_share": round(members["row"].nunique() / with_clauses, 4),
            "negated_share": round(float(cues.get("negated", 0.0)), 4),
            "uncertain_share": round(float(cues.get("uncertain", 0.0)), 4),
            "n_normal": len(normal),
            "n_unassigned": len(unassigned),
            "spread": round(spread, 4),
            "other_finding_share": round(other_share, 4),
            "other_findings": " | ".join(f"{label} ×{count}" for label, count in other.value_counts().head(3).items()),
            "mixed": bool(spread > MIXED_SPREAD or other_share >= MIXED_SHARE),
            "top_members": " | ".join(f"{text} ×{count}" for text, count in written.head(top).items()),
            "members": list(written.items()),
            "normal_members": list(normal["clause"].value_counts().items()),
            "unassigned_members": list(unassigned["clause"].value_counts().items()),
        })
    return pd.DataFrame(rows)
