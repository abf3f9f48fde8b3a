"""`cxrlabel evaluate`: compare predicted labels with gold labels, per observation and macro-averaged.

Per observation: mention F1 (any non-blank), negation F1 (0.0), uncertainty F1 (-1.0), positive F1
(1.0), and CheXbert's weighted F1 (the positive, negation and uncertainty F1 weighted by their gold
support). `--positive-only` scores gold that only records definite positives (e.g. Open-i codes).
"""
from __future__ import annotations

import argparse
import json

from ..errors import UserError
from .options import add_common_options

NOT_LABELS = {"reports", "report", "text", "judgeable", "findings", "impression", "report_text"}

EPILOG = """\
examples:
  cxrlabel evaluate labels.csv corpora/en/gold.csv --id-column id
  cxrlabel evaluate labels.csv gold.csv --json > scores.json
  cxrlabel evaluate labels.parquet gold.csv --id-column id     # Parquet and CSV mix; ids match as text
  cxrlabel evaluate labels.csv openi_gold.csv --id-column uid --positive-only --uncertain-as negative
  cxrlabel evaluate labels.csv reviewed.csv --sample review/     # a review of cxrlabel sample's sample
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
    add_common_options(p, encoding="text encoding of both files, if detection fails (utf-8, gb18030 …)", quiet=False)
    p.add_argument("--sample", metavar="FOLDER",
                   help="score a review: GOLD is the reviewed.csv of the sample cxrlabel sample wrote to FOLDER; gives "
                        "plain and archive-level (weighted) precision, recall and F1 with 95%% intervals, written to "
                        "FOLDER/scores.json and FOLDER/scores.png")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.sample:
        from ..review.evaluate_review import evaluate_review

        return evaluate_review(args.predictions, args.gold, args.sample, args.json)
    from ..scoring import align, score_labels
    from ..tables import describe_columns, read_table

    # label files always have a header row; Parquet's numbers and NaN are read as the text a CSV holds
    pred = read_table(args.predictions, encoding=args.encoding, header=True).frame
    gold = read_table(args.gold, encoding=args.encoding, header=True).frame
    if gold.empty:
        raise UserError(f"{args.gold}: no rows to score against (the file has a header only)")
    pred, gold = align(pred, gold, args.id_column, (args.predictions, args.gold))
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
    result = score_labels(pred, gold, observations, args.predictions, args.gold, args.positive_only,
                          args.uncertain_as == "positive", args.log_text)
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
