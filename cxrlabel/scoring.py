"""`cxrlabel evaluate`: compare predicted labels with gold labels, per observation and macro-averaged.

Per observation: mention F1 (any non-blank), negation F1 (0.0), uncertainty F1 (-1.0), positive F1
(1.0), and CheXbert's weighted F1 (the positive, negation and uncertainty F1 weighted by their gold
support). `--positive-only` scores gold that only records definite positives (e.g. Open-i codes).
"""
from __future__ import annotations

import argparse
import json
import numpy as np
import pandas as pd

from .errors import UserError
from .tables import describe_columns
from .tables import find_column, read_table

CLASSES = {"positive": 1.0, "negation": 0.0, "uncertain": -1.0}
NOT_LABELS = {"reports", "report", "text", "judgeable", "findings", "impression", "report_text"}

EPILOG = """\
examples:
  cxrlabel evaluate labels.csv corpora/en/gold.csv --id-column id
  cxrlabel evaluate labels.csv gold.csv --json > scores.json
  cxrlabel evaluate labels.csv openi_gold.csv --id-column uid --positive-only --uncertain-as negative
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score predicted labels against gold labels", description=__doc__,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("predictions", help="labels CSV written by cxrlabel extract")
    p.add_argument("gold", help="gold labels CSV with the same observation columns")
    p.add_argument("--id-column", help="match rows by this column (default: by row order)")
    p.add_argument("--observations", help="comma-separated observations to score (default: all shared columns)")
    p.add_argument("--positive-only", action="store_true",
                   help="gold marks only definite positives (1.0); score positive detection, skipping blank gold")
    p.add_argument("--uncertain-as", choices=("negative", "positive"), default="negative",
                   help="with --positive-only: how a predicted -1.0 counts (default: negative)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(run=run)


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


def _align(pred: pd.DataFrame, gold: pd.DataFrame, id_column: str | None, paths: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if id_column is None:
        if len(pred) != len(gold):
            raise UserError(f"{paths[0]} has {len(pred)} rows but {paths[1]} has {len(gold)}; "
                            "give --id-column to match rows by id")
        return pred.reset_index(drop=True), gold.reset_index(drop=True)
    pid = find_column(pred, id_column, what="ids", option="--id-column")
    gid = find_column(gold, id_column, what="ids", option="--id-column")
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


def run(args: argparse.Namespace) -> int:
    pred = read_table(args.predictions, header=True).frame  # label files always have a header row
    gold = read_table(args.gold, header=True).frame
    pred, gold = _align(pred, gold, args.id_column, (args.predictions, args.gold))
    if args.observations:
        observations = [o.strip() for o in args.observations.split(",") if o.strip()]
        for o in observations:
            for frame, path in ((pred, args.predictions), (gold, args.gold)):
                if o not in frame.columns:
                    raise UserError(f"{path}: no column {o!r}; {describe_columns(frame.columns)}")
    else:
        skip = {c.lower() for c in NOT_LABELS} | ({args.id_column.lower()} if args.id_column else set())
        observations = [c for c in gold.columns if c in pred.columns and str(c).lower() not in skip]
        if not observations:
            raise UserError("the two files share no observation columns")
    result = evaluate(pred, gold, observations, args.predictions, args.gold, args.positive_only,
                      args.uncertain_as == "positive")
    print(json.dumps(result, indent=2) if args.json else format_table(result, args.positive_only))
    return 0


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def format_table(result: dict, positive_only: bool) -> str:
    lines = [f"{result['reports']} reports"]
    if positive_only:
        lines.append(f"{'observation':28s} {'pos F1':>6s} {'prec':>6s} {'recall':>6s} {'tp':>5s} {'fp':>5s} {'fn':>5s}")
        for obs, r in result["observations"].items():
            lines.append(f"{obs:28s} {_fmt(r['f1'])} {_fmt(r['precision'])} {_fmt(r['recall'])} "
                         f"{r['tp']:5d} {r['fp']:5d} {r['fn']:5d}")
        lines.append(f"{'macro (gold positives > 0)':28s} {_fmt(result['macro']['positive_f1'])}")
        return "\n".join(lines)
    lines.append(f"{'observation':28s} {'mention':>7s} {'negation':>8s} {'uncert':>6s} {'positive':>8s} {'weighted':>8s}   "
                 f"gold counts (1/0/-1/blank)")
    for obs, r in result["observations"].items():
        s = r["support"]
        lines.append(f"{obs:28s} {_fmt(r['mention']['f1']):>7s} {_fmt(r['negation']['f1']):>8s} "
                     f"{_fmt(r['uncertain']['f1'])} {_fmt(r['positive']['f1']):>8s} {_fmt(r['weighted_f1']):>8s}   "
                     f"{s['positive']}/{s['negation']}/{s['uncertain']}/{s['blank']}")
    m = result["macro"]
    lines.append(f"{'macro':28s} {_fmt(m['mention']):>7s} {_fmt(m['negation']):>8s} {_fmt(m['uncertain'])} "
                 f"{_fmt(m['positive']):>8s} {_fmt(m['weighted_f1']):>8s}")
    return "\n".join(lines)
