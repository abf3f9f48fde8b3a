"""`cxrlabel zh split`: split one mined cluster without mining again.

A reviewer who finds a mixed cluster re-clusters only its members (the finding parts whose nearest
medoid it is, weighted by frequency, with the mine's distance, guide and seed); the sub-cluster holding
the old medoid keeps the cluster's number and the reviewer's label, the others get new numbers and a
suggested label marked in a `split_from` column. Every clause is then assigned again exactly as
`zh label` will (`ReviewedClusters.nearest`), and model.json, label_map.csv, clusters.csv,
assignments.csv and clusters.html are rewritten together. Every other row of the label map keeps its label as written.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from ..output_guard import is_ours, write_together
from ..tables import read_table
from .cues import Cue
from .data_files import load_zh_data
from .kmedoids_miner import ClauseKMedoids
from .known_findings import finding_guide, suggest_label
from .label import ReviewedClusters, read_label_map
from .mine import CLAUSE_COLUMNS, encoded_clauses, summarize
from .mine_outputs import (
    ASSIGNMENTS_FILE, LABEL_MAP_FILE, csv_bytes, html_file, map_counts, map_is_as_written, map_record, table_files,
    unassigned_counts,
)
from .model_file import MODEL_FILE, load_model, model_bytes
from .preprocess import ClausePreprocessor
from .settings import ALL_CORES, UNASSIGNED_ROW

SPLIT_FROM = "split_from"


@dataclass
class SplitResult:
    cluster: int
    n_members: int  # finding parts re-clustered
    n_distinct: int
    new: list[int]  # numbers of the other sub-clusters
    moved: int  # clause parts labelled by another cluster than before (or by one where before by none)
    map_was_edited: bool


def _assignments(out: Path) -> pd.DataFrame:
    path = out / ASSIGNMENTS_FILE
    if not path.is_file():
        raise UserError(f"{path}: missing; zh split needs the {ASSIGNMENTS_FILE} zh mine wrote beside {MODEL_FILE}")
    frame = read_table(path).frame
    missing = [c for c in ("row", "normalized", "cue", "nearest_cluster") if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {missing[0]!r} (written by an older cxrlabel); mine again to split")
    frame["row"] = frame["row"].astype(int)
    frame["nearest_cluster"] = frame["nearest_cluster"].astype(int)
    return frame


def split_cluster(out: Path, cluster: int, k: int, max_distance: float, workers: int = ALL_CORES,
                  encoding: str | None = None, log_text: bool = False) -> SplitResult:
    """Split `cluster` of the mine folder `out` into `k` and rewrite the folder's outputs to match; `encoding`:
    of the reviewer's label_map.csv, when not detected; `log_text`: a message may quote a medoid."""
    if k < 2:
        raise UserError(f"-k {k}: a split needs at least 2 clusters")
    label_map, model_path = out / LABEL_MAP_FILE, out / MODEL_FILE
    if not is_ours(out) or not label_map.is_file():
        raise UserError(f"{out}: not a folder zh mine wrote (no marker or no {LABEL_MAP_FILE}); give the folder zh mine wrote")
    model = load_model(model_path)
    read_label_map(label_map, model, model_path, encoding, log_text)  # this model's map, with every label written
    if cluster not in model.cluster_ids:
        raise UserError(f"--cluster {cluster} is not one of the mined clusters "
                        f"({min(model.cluster_ids)}..{max(model.cluster_ids)})")
    edited = not map_is_as_written(out)
    reviewed = read_table(label_map, encoding=encoding, header=True).frame
    clauses = _assignments(out)
    data = load_zh_data(model.rules_dir, model.lexicon_dir)
    pre = ClausePreprocessor(data, drop_laterality=model.drop_laterality, sections=model.sections)

    # The members, as zh mine fitted them: finding parts (not normal descriptions) nearest to this cluster.
    members = clauses[(clauses["nearest_cluster"] == cluster) & (clauses["cue"] != Cue.NORMAL.value)]
    counts = members["normalized"].value_counts(sort=False)
    if len(counts) < k:
        raise UserError(f"cluster {cluster} has {len(counts)} distinct finding parts; give -k of at most {len(counts)}")
    guide = finding_guide(data) if model.guide else None
    unique = counts.index.tolist()
    encoded = encoded_clauses(unique, pre, model.distance, guide)
    fit = ClauseKMedoids(n_clusters=k, random_state=model.seed, workers=workers, guide=guide)
    fit.fit([encoded[u] for u in unique], counts.to_numpy())
    weight = np.bincount(fit.labels_, weights=counts.to_numpy(), minlength=fit.n_clusters_)
    sub = sorted(range(fit.n_clusters_), key=lambda c: (-weight[c], unique[fit.medoid_indices_[c]]))
    old_medoid = model.medoids[model.cluster_ids.index(cluster)]
    holder = fit.labels_[unique.index(old_medoid)] if old_medoid in counts.index else sub[0]
    sub.remove(holder)
    new_ids = list(range(max(model.cluster_ids) + 1, max(model.cluster_ids) + 1 + len(sub)))
    at = model.cluster_ids.index(cluster)
    medoids = list(model.medoids)
    medoids[at] = unique[fit.medoid_indices_[holder]]
    medoids += [unique[fit.medoid_indices_[c]] for c in sub]
    ids = model.cluster_ids + new_ids
    order = sorted(range(len(ids)), key=ids.__getitem__)  # summarize numbers clusters 1..K in order
    if [ids[i] for i in order] != list(range(1, len(ids) + 1)):
        raise UserError(f"{model_path}: cluster numbers are not 1..{len(ids) - len(sub)}; mine again to split")
    medoids = [medoids[i] for i in order]
    new_model = replace(model, cluster_ids=list(range(1, len(ids) + 1)), medoids=medoids,
                        medoid_tokens=[list(pre.tokens(m)) for m in medoids])

    # Every clause again, as zh label will assign it.
    everything = clauses["normalized"].unique().tolist()
    where = ReviewedClusters.build(pre, new_model, {}, max_distance, workers).nearest(everything)
    before = _labelled_by(clauses["nearest_cluster"], clauses["distance"].astype(float), max_distance)
    clauses = clauses[CLAUSE_COLUMNS].copy()
    clauses["cluster_id"] = [where[u][0] + 1 for u in clauses["normalized"]]
    clauses["distance"] = [round(where[u][1], 4) for u in clauses["normalized"]]
    clauses["member"] = clauses["cue"] != Cue.NORMAL.value
    clauses["assigned"] = clauses["distance"] <= max_distance
    fitted = clauses.loc[clauses["member"], "normalized"].value_counts()
    new_model.loss = round(float(sum(n * where[u][1] for u, n in fitted.items())), 6)
    clusters = summarize(clauses, medoids, data.known_findings)

    labels = _updated_map(reviewed, clusters, cluster, new_ids, data.known_findings)
    map_file = csv_bytes(labels)
    named = dict(zip(labels["cluster_id"], labels["label"]))  # a cluster the map leaves out is dropped
    files = {label_map: map_file, model_path: model_bytes(new_model), **table_files(clusters, clauses, out),
             **html_file(clusters, [named.get(str(c), "-") for c in clusters["cluster_id"]], clauses["row"].nunique(),
                         max_distance, out, map_file, new_model)}
    if not edited:  # still as the toolkit wrote it: a rerun of zh mine may replace it, as before
        files.update(map_record(out, map_file))
    write_together(files, "")  # all or none: the map always fits the model beside it
    return SplitResult(cluster, len(members), len(counts), new_ids,
                       int((_labelled_by(clauses["cluster_id"], clauses["distance"], max_distance) != before).sum()),
                       edited)


def _labelled_by(cluster: pd.Series, distance: pd.Series, max_distance: float) -> np.ndarray:
    """The cluster whose label each part gets (0: none, beyond --max-distance): a tie in distance beyond it
    may go to another cluster without changing any label."""
    return np.where(distance.to_numpy() <= max_distance, cluster.to_numpy(), 0)


def _updated_map(reviewed: pd.DataFrame, clusters: pd.DataFrame, cluster: int, new_ids: list[int],
                 known: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The reviewer's map with every label and extra column kept as written, the split cluster's medoid
    replaced, a row per new sub-cluster (a suggested label, marked in split_from), and the counts refreshed."""
    frame = reviewed.copy()
    if SPLIT_FROM not in frame.columns:
        frame[SPLIT_FROM] = ""
    frame["cluster_id"] = frame["cluster_id"].astype(str).str.strip()
    unassigned = frame[frame["cluster_id"] == UNASSIGNED_ROW]  # stays last, with the reviewer's label
    added = pd.DataFrame({"cluster_id": [str(c) for c in new_ids], SPLIT_FROM: str(cluster)})
    frame = pd.concat([frame[frame["cluster_id"] != UNASSIGNED_ROW], added], ignore_index=True).fillna("")
    by_id = clusters.set_index(clusters["cluster_id"].astype(str))
    frame["medoid"] = frame["cluster_id"].map(by_id["medoid"])
    frame.loc[frame["cluster_id"] == str(cluster), SPLIT_FROM] = str(cluster)
    fresh = frame["cluster_id"].isin([str(c) for c in new_ids])
    frame.loc[fresh, "label"] = [suggest_label(m, known) for m in frame.loc[fresh, "medoid"]]
    counts = map_counts(by_id.loc[frame["cluster_id"]].reset_index(drop=True))
    for column, values in counts.items():
        frame[column] = values
    return pd.concat([frame, unassigned.assign(**unassigned_counts(clusters))], ignore_index=True).fillna("")
