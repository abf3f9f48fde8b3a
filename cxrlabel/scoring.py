"""Scores of predicted labels against gold labels, per observation and macro-averaged.

Per observation: mention F1 (any non-blank), negation F1 (0.0), uncertainty F1 (-1.0), positive F1
(1.0), and CheXbert's weighted F1 (the positive, negation and uncertainty F1 weighted by their gold
support). `score_positive_only` scores gold that only records definite positives (e.g. Open-i codes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import UserError
from .tables import find_column

CLASSES = {"positive": 1.0, "negation": 0.0, "uncertain": -1.0}

def _labels(frame: pd.DataFrame, column: str, path: str) -> np.ndarray:
    values = frame[column].astype(str).str.strip().replace({"": "nan", "None": "nan"})
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & ~values.str.lower().isin({"nan"})
    if bad.any():
        row = int(np.argmax(bad.values))
        raise UserError(f"{path}: row {row + 2}, column {column!r}: {values.iloc[row]!r} is not a label "
                        "(use 1.0, 0.0, -1.0 or blank)")
    odd = numbers.notna() & ~numbers.isin(list(CLASSES.values()))
    if odd.any():
        row = int(np.argmax(odd.values))
        raise UserError(f"{path}: row {row + 2}, column {column!r}: {numbers.iloc[row]} is not 1.0, 0.0, -1.0 or blank")
    return numbers.to_numpy(dtype=float)


def f1(pred: np.ndarray, gold: np.ndarray) -> dict:
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    score = None if tp + fp + fn == 0 else tp / (tp + 0.5 * (fp + fn))
    return {"f1": score, "tp": tp, "fp": fp, "fn": fn}


def _is(values: np.ndarray, cls: float | None) -> np.ndarray:
    return np.isnan(values) if cls is None else values == cls


def score_observation(pred: np.ndarray, gold: np.ndarray) -> dict:
    out: dict = {"mention": f1(~np.isnan(pred), ~np.isnan(gold))}
    supports = {}
    for name, cls in CLASSES.items():
        out[name] = f1(_is(pred, cls), _is(gold, cls))
        supports[name] = int(_is(gold, cls).sum())
    total = sum(supports.values())
    weighted = None
    if total:
        weighted = sum((out[n]["f1"] or 0.0) * s for n, s in supports.items()) / total
    out["weighted_f1"] = weighted
    out["support"] = {**supports, "blank": int(np.isnan(gold).sum())}
    return out


def score_positive_only(pred: np.ndarray, gold: np.ndarray, uncertain_positive: bool) -> dict:
    judged = ~np.isnan(gold)
    predicted = (pred == 1.0) | ((pred == -1.0) if uncertain_positive else False)
    result = f1(predicted[judged], (gold == 1.0)[judged])
    tp, fp, fn = result["tp"], result["fp"], result["fn"]
    result["precision"] = tp / (tp + fp) if tp + fp else None
    result["recall"] = tp / (tp + fn) if tp + fn else None
    result["support"] = int((gold[judged] == 1.0).sum())
    return result


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def evaluate(pred_frame: pd.DataFrame, gold_frame: pd.DataFrame, observations: list[str], pred_path: str,
             gold_path: str, positive_only: bool = False, uncertain_positive: bool = False) -> dict:
    per = {}
    for obs in observations:
        p, g = _labels(pred_frame, obs, pred_path), _labels(gold_frame, obs, gold_path)
        per[obs] = score_positive_only(p, g, uncertain_positive) if positive_only else score_observation(p, g)
    if positive_only:
        scored = [o for o in observations if per[o]["support"] > 0]
        macro = {"positive_f1": _mean([per[o]["f1"] for o in scored]), "observations": scored}
    else:
        macro = {k: _mean([per[o][k]["f1"] for o in observations]) for k in ("mention", "negation", "uncertain", "positive")}
        macro["weighted_f1"] = _mean([per[o]["weighted_f1"] for o in observations])
    return {"reports": len(pred_frame), "observations": per, "macro": macro}


def align(pred: pd.DataFrame, gold: pd.DataFrame, id_column: str | None, paths: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if id_column is None:
        if len(pred) != len(gold):
            raise UserError(f"{paths[0]} has {len(pred)} rows but {paths[1]} has {len(gold)}; "
                            "give $id_column to match rows by id")
        return pred.reset_index(drop=True), gold.reset_index(drop=True)
    pid = find_column(pred, id_column, what="ids", setting="id_column")
    gid = find_column(gold, id_column, what="ids", setting="id_column")
    for frame, col, path in ((pred, pid, paths[0]), (gold, gid, paths[1])):
        dup = frame[col].duplicated()
        if dup.any():
            raise UserError(f"{path}: id {frame[col][dup].iloc[0]!r} appears more than once in column {col!r}")
    missing = set(gold[gid]) - set(pred[pid])
    if missing:
        raise UserError(f"{len(missing)} gold ids have no prediction (e.g. {sorted(missing)[0]!r}); "
                        "label the same reports, or score a subset by filtering the gold file")
    merged = gold[[gid]].merge(pred, left_on=gid, right_on=pid, how="left", suffixes=("_gold", ""))
    return merged, gold.reset_index(drop=True)
