"""Scoring mined clusters against clause- and report-level gold, as a reviewer would name them.

Used by the corpus tests and `python -m bench.zh`, so both measure the same thing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cues import Cue
from .known_findings import output_name
from .label import ReviewedClusters, label_reports
from .mine import MineResult, MineSettings
from .model_file import SavedModel
from .preprocess import ClausePreprocessor
from .settings import DEFAULT_MAX_DISTANCE

NO_FINDING_LABELS = ("boilerplate", "other")


def majority_names(result: MineResult, clause_gold: pd.DataFrame) -> dict[int, str]:
    """Each cluster named by the most frequent gold label of its members; normal descriptions
    (心影不大) are assigned to a cluster but are no members, as a reviewer sees on clusters.html."""
    members = result.clauses[result.clauses["cue"] != Cue.NORMAL.value]
    merged = members.merge(clause_gold[["id", "clause_no", "label"]], on=["id", "clause_no"],
                                  suffixes=("", "_gold"))
    merged = merged[~merged["label"].isin(NO_FINDING_LABELS)]
    return merged.groupby("cluster_id")["label"].agg(lambda s: s.value_counts().index[0]).to_dict()


def saved_model(result: MineResult, settings: MineSettings, pre: ClausePreprocessor) -> SavedModel:
    return SavedModel(result.clusters["cluster_id"].tolist(), result.clusters["medoid"].tolist(),
                      [list(t) for t in result.medoid_tokens], settings.distance, settings.guide, pre.drop_laterality,
                      pre.sections, None, None, settings.seed, result.loss)


def predict(texts: list[str], pre: ClausePreprocessor, result: MineResult, settings: MineSettings,
            names: dict[int, str], max_distance: float = DEFAULT_MAX_DISTANCE) -> pd.DataFrame:
    clusters = ReviewedClusters.build(pre, saved_model(result, settings, pre), names, max_distance)
    return label_reports(texts, clusters).frame


def micro_f1(gold: pd.DataFrame, out: pd.DataFrame, chexpert_names, value: float = 1.0) -> float:
    """Micro F1 of one label value over every gold column, gold names mapped as the output maps them."""
    tp = fp = fn = 0
    for column in gold.columns.drop("id"):
        name = output_name(column, chexpert_names)
        truth = (pd.to_numeric(gold[column], errors="coerce") == value).to_numpy()
        pred = (out[name] == value).to_numpy() if name in out else np.zeros(len(out), bool)
        tp, fp, fn = tp + (truth & pred).sum(), fp + (~truth & pred).sum(), fn + (truth & ~pred).sum()
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 1.0


def report_majority_names(result: MineResult, positives: pd.DataFrame) -> dict[int, str]:
    """With report-level gold only (one row per input report, True where a label is positive): each cluster
    named by the label most of its positive or uncertain members' reports carry; their negated members say
    nothing about what their report has."""
    members = result.clauses[result.clauses["member"] & result.clauses["assigned"]
                             & result.clauses["cue"].isin([Cue.NONE.value, Cue.UNCERTAIN.value])]
    names = {}
    for cluster_id, group in members.groupby("cluster_id"):
        votes = positives.iloc[group["row"].to_numpy()].sum()
        if votes.max() > 0:
            names[int(cluster_id)] = str(votes.idxmax())
    return names


def macro_f1(gold: pd.DataFrame, out: pd.DataFrame, labels: list[str]) -> float:
    """Mean positive F1 over the labels with at least one positive in the gold."""
    scores = []
    for label in labels:
        truth = (gold[label] == 1.0).to_numpy()
        if not truth.any():
            continue
        pred = (out[label] == 1.0).to_numpy() if label in out else np.zeros(len(out), bool)
        tp = (truth & pred).sum()
        scores.append(2 * tp / (2 * tp + (~truth & pred).sum() + (truth & ~pred).sum()))
    return float(np.mean(scores)) if scores else 0.0
