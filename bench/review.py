"""Is the review's estimator right? The Open-i dev check half (odd uids) plays a hospital's archive and its
gold plays the reviewer.

The check-half reports are labelled once, at extract's defaults. Then, for each seed, `cxrlabel sample`'s
design draws -n reports, the gold of those reports is taken as the review, and the archive-level positive
precision and recall of every observation are estimated with their 95% intervals. An interval covers when
it holds the value computed on the whole half. The issue's target: at least 90% of draws, for every
observation with at least 30 gold positives. Prints a skip notice when the shared folder is absent.
Run: python -m bench.review [--seeds 100] [-n 200] [--allocation sqrt] [--method posterior] [--uncertain]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from bench.openi import SHARED, label, load_gold
from cxrlabel.en.labeler import LabelerConfig, Pipeline
from cxrlabel.review import estimate as estimate_module
from cxrlabel.review.estimate import METHODS, Reviewed, estimate
from cxrlabel.review.sample import ALLOCATIONS, LabelTable, draw_sample, least_sure

MIN_GOLD_POSITIVES = 30
TARGET = 0.90


def archive_table(pred: pd.DataFrame, uids: pd.Series) -> LabelTable:
    """The predicted labels as the labels file extract writes them (strings, blank for not mentioned)."""
    frame = pred.apply(lambda column: column.map(lambda v: "" if pd.isna(v) else str(float(v))))
    frame.insert(0, "Reports", "")
    frame.insert(0, "uid", uids.astype(str).to_numpy())
    return LabelTable.from_frame(frame, "check half")


def review_of(table: LabelTable, gold: np.ndarray, drawn, archive: np.ndarray) -> Reviewed:
    """The gold of the drawn reports as the reviewer's answers, with the design's weights and strata."""
    row_of = {rid: row for row, rid in enumerate(table.ids)}
    rows = np.array([row_of[rid] for rid in drawn.frame[table.id_column]])
    stratum_of = {rid: h for h, stratum in enumerate(drawn.strata) for rid in stratum["ids"]}
    strata = np.array([stratum_of[rid] for rid in drawn.frame[table.id_column]])
    return Reviewed(table.classes[rows], gold[rows], 1 / drawn.frame["inclusion_probability"].to_numpy(), strata,
                    archive)


def census_of(drawn) -> np.ndarray:
    return np.array([s["drawn"] == s["population"] for s in drawn.strata])


def truth(table: LabelTable, gold: np.ndarray) -> np.ndarray:
    """Positive precision and recall of each observation on the whole half: (observations, 2)."""
    predicted, actual = table.classes == 0, gold == 0
    tp = (predicted & actual).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([tp / predicted.sum(axis=0), tp / actual.sum(axis=0)], axis=1)


def coverage(table: LabelTable, gold: np.ndarray, n: int, seeds: int, allocation: str, methods: list[str],
             uncertain: bool) -> dict:
    """Per method: how often each observation's interval held the true value, its mean width, and the mean
    number of reviewed gold positives."""
    true = truth(table, gold)
    archive = np.stack([np.bincount(table.classes[:, j], minlength=4) for j in range(len(table.observations))])
    cells, reports = least_sure(table) if uncertain else (None, None)
    shape = (seeds, len(table.observations), 2)
    hit = {m: np.zeros(shape, bool) for m in methods}
    width = {m: np.zeros(shape) for m in methods}
    error = {m: np.zeros(shape) for m in methods}
    reviewed_positives = np.zeros((seeds, len(table.observations)))
    for seed in range(seeds):
        drawn = draw_sample(table, n, seed, allocation, cells, reports)
        reviewed = review_of(table, gold, drawn, archive)
        reviewed_positives[seed] = (reviewed.gold == 0).sum(axis=0)
        for method in methods:
            est = estimate(reviewed, weighted=True, method=method, seed=seed, census=census_of(drawn))
            low, high, value = est.low[:, 0, :2], est.high[:, 0, :2], est.value[:, 0, :2]
            hit[method][seed] = (low - 1e-9 <= true) & (true <= high + 1e-9)
            width[method][seed] = high - low
            error[method][seed] = value - true
    return {"true": true, "hit": hit, "width": width, "error": error, "reviewed_positives": reviewed_positives}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, prog="python -m bench.review",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--allocation", choices=ALLOCATIONS, default="sqrt")
    ap.add_argument("--method", choices=(*METHODS, "both"), default="both")
    ap.add_argument("--uncertain", action="store_true", help="draw with cxrlabel sample --uncertain (-1 labels)")
    ap.add_argument("--parser", default="spacy", help="as extract --parser (default: spacy, extract's default)")
    ap.add_argument("--half", choices=("tune", "check"), default="check",
                    help="check: odd uids, the acceptance run (default); tune: even uids, where choices are made")
    ap.add_argument("--prior", type=float, default=estimate_module.PRIOR,
                    help=f"the posterior's Beta(a, a) prior per predicted class (default: {estimate_module.PRIOR})")
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"review: skipped, {SHARED} is absent")
        return
    estimate_module.PRIOR = args.prior
    gold_frame = load_gold("broad", args.half)
    start = time.perf_counter()
    pred = label(Pipeline(LabelerConfig(parser=args.parser)), gold_frame.report_text)
    table = archive_table(pred, gold_frame.uid)
    gold = np.where(gold_frame[table.observations].to_numpy(dtype=float) == 1.0, 0, 1).astype(np.int8)
    print(f"Open-i dev {args.half} half: {len(table.ids)} reports labelled in {time.perf_counter() - start:.1f}s "
          f"(--parser {args.parser}); {args.seeds} samples of {args.n}, --allocation {args.allocation}"
          f"{', --uncertain' if args.uncertain else ''}, prior {args.prior}", flush=True)
    methods = list(METHODS) if args.method == "both" else [args.method]
    start = time.perf_counter()
    r = coverage(table, gold, args.n, args.seeds, args.allocation, methods, args.uncertain)
    print(f"({time.perf_counter() - start:.1f}s for the samples and their intervals)")
    positives = (gold == 0).sum(axis=0)
    header = f"{'observation':28s} {'gold+':>5s} {'pred+':>5s} {'rev+':>5s} {'prec':>5s} {'recall':>6s}"
    for m in methods:
        header += f" | {m[:9]:>9s} cover P/R  width P/R"
    print(header)
    shown = [j for j, o in enumerate(table.observations) if positives[j] >= MIN_GOLD_POSITIVES]
    for j, obs in enumerate(table.observations):
        if positives[j] == 0:
            continue
        line = (f"{obs:28s} {positives[j]:5d} {int((table.classes[:, j] == 0).sum()):5d} "
                f"{r['reviewed_positives'][:, j].mean():5.1f} {r['true'][j, 0]:5.3f} {r['true'][j, 1]:6.3f}")
        for m in methods:
            cover, width = r["hit"][m][:, j].mean(axis=0), np.nanmean(r["width"][m][:, j], axis=0)
            line += f" | {'':9s} {cover[0]:5.0%} {cover[1]:4.0%}  {width[0]:4.2f} {width[1]:4.2f}"
        print(line + ("" if j in shown else "   (fewer than 30 gold positives)"))
    for m in methods:
        worst = min(r["hit"][m][:, j].mean(axis=0).min() for j in shown)
        bias = np.nanmean(r["error"][m][:, shown], axis=0)
        print(f"{m}: lowest coverage over the {len(shown)} observations with >= {MIN_GOLD_POSITIVES} gold positives: "
              f"{worst:.0%} (target {TARGET:.0%}: {'met' if worst >= TARGET else 'NOT met'}); mean error of the "
              f"estimate: precision {bias[:, 0].mean():+.3f}, recall {bias[:, 1].mean():+.3f}")


if __name__ == "__main__":
    main()
