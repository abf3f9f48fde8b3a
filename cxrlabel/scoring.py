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

def _cell_text(value: object) -> str:
    """A cell as a CSV file holds it: blank for a missing value, else its text."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text, as a CSV of the table would hold it: a Parquet file (numbers, NaN for blank) then
    scores exactly as the same table in CSV, and ids match as text whatever type each file stored them as."""
    return pd.DataFrame({c: [_cell_text(v) for v in frame[c]] for c in frame.columns}, index=frame.index,
                        columns=frame.columns, dtype=object)


def _labels(frame: pd.DataFrame, column: str, path: str, log_text: bool = False) -> np.ndarray:
    values = as_text(frame[[column]])[column].str.strip().replace({"None": "", "nan": "", "NaN": ""})
    numbers = pd.to_numeric(values.replace({"": None}), errors="coerce")
    bad = numbers.isna() & (values != "")
    if bad.any():  # a cell of text may be a report: quoted only with --log-text
        row = int(np.argmax(bad.values))
        shown = (f"{values.iloc[row]!r}" if log_text
                 else f"a cell of {len(values.iloc[row])} characters, not quoted (add $log_text to show it),")
        raise UserError(f"{path}: row {row + 2}, column {column!r}: {shown} is not a label "
                        "(use 1.0, 0.0, -1.0 or blank); is it a label column?")
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


def score_labels(pred_frame: pd.DataFrame, gold_frame: pd.DataFrame, observations: list[str], pred_path: str,
             gold_path: str, positive_only: bool = False, uncertain_positive: bool = False,
             log_text: bool = False) -> dict:
    """`log_text`: a message may quote a cell that is not a label (it may hold report text)."""
    per = {}
    for obs in observations:
        p, g = _labels(pred_frame, obs, pred_path, log_text), _labels(gold_frame, obs, gold_path, log_text)
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
    pred, gold = pred.assign(**{pid: as_text(pred[[pid]])[pid]}), gold.assign(**{gid: as_text(gold[[gid]])[gid]})
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
