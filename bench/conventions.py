"""Agreement with CheXpert's conventions: our labels on Open-i FINDINGS against CheXbert's on the same text.

CheXbert (a BERT labeler trained to reproduce CheXpert's labels) labelled the findings section of
2,370 Open-i dev reports (../shared/data/openi_dev/chexbert_findings_dev.csv). We label the same
findings text alone and score each class (positive 1, negative 0, uncertain -1) with theirs as the
reference, per observation, macro over observations where the class occurs, and pooled over all
cells (where frequent observations weigh more); then list the most frequent disagreements. Theirs is a model's output, not truth: a disagreement is a place to look.
Their No Finding is never blank (0 means "not positive"), so a 0 there counts as blank.
Run: python -m bench.conventions [--half check|tune|all] [--parser none] [--top K] [--show N]
"""
from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import pandas as pd

from bench.openi import HALVES, SHARED, in_half
from cxrlabel.scoring import CLASSES, score_observation
from cxrlabel.en.labeler import LabelerConfig, Pipeline, ReportLabels

THEIRS = SHARED / "chexbert_findings_dev.csv"


def _name(value: float) -> str:
    return "blank" if np.isnan(value) else f"{value:g}"


def load(half: str) -> pd.DataFrame:
    """CheXbert's labels joined by uid to the findings text, for one half."""
    theirs = pd.read_csv(THEIRS)
    text = pd.read_csv(SHARED / "openi_dev_gold_broad.csv", usecols=["uid", "findings"])
    frame = theirs.merge(text, on="uid", how="inner")
    frame.loc[frame["No Finding"] == 0.0, "No Finding"] = np.nan
    return frame[in_half(frame.uid, half)].reset_index(drop=True)


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[dict[str, dict], Counter]:
    """Class F1 per observation (theirs as the reference) and (observation, ours, theirs) disagreement counts."""
    per, patterns = {}, Counter()
    for obs in ours.columns:
        p, t = ours[obs].to_numpy(dtype=float), theirs[obs].to_numpy(dtype=float)
        per[obs] = score_observation(p, t)
        for a, b in zip(p, t):
            if _name(a) != _name(b):
                patterns[(obs, _name(a), _name(b))] += 1
    return per, patterns


def pooled_scores(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict:
    """Class F1 over every (report, observation) cell at once: frequent observations weigh more."""
    pred = ours.to_numpy(dtype=float).ravel()
    return score_observation(pred, theirs[list(ours.columns)].to_numpy(dtype=float).ravel())


def macro(per: dict[str, dict], cls: str) -> tuple[float | None, int]:
    """Mean F1 of one class over observations where either side uses it, and how many those are."""
    values = [s[cls]["f1"] for s in per.values() if s[cls]["f1"] is not None]
    return (float(np.mean(values)) if values else None), len(values)


def _examples(results: list[ReportLabels], frame: pd.DataFrame, ours: pd.DataFrame, pattern: tuple[str, str, str],
              n: int) -> list[str]:
    """The sentences behind our label for the first n reports that show the pattern (the text when we have none)."""
    obs, a, b = pattern
    rows = [i for i in range(len(frame)) if _name(ours.at[i, obs]) == a and _name(frame.at[i, obs]) == b][:n]
    lines = []
    for i in rows:
        mentions = [m for m in results[i].mentions if m.observation == obs]
        if mentions:
            lines += dict.fromkeys(f"    uid {frame.uid[i]}: [{m.label:+g} {m.rule}] {m.sentence.strip()}" for m in mentions)
        else:
            lines.append(f"    uid {frame.uid[i]}: {results[i].text[:200]}")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, prog="python -m bench.conventions",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parser", default="spacy")
    ap.add_argument("--half", default="check", choices=HALVES, help="uid half (bench.openi); default: check")
    ap.add_argument("--top", type=int, default=15, metavar="K", help="disagreement patterns listed (default 15)")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="example sentences for each listed pattern")
    args = ap.parse_args(argv)
    if not THEIRS.exists():
        print(f"conventions: skipped, {THEIRS} is absent")
        return
    frame = load(args.half)
    results = Pipeline(LabelerConfig(parser=args.parser, sections="all")).label(frame.findings.fillna("").tolist())
    ours = pd.DataFrame([r.labels for r in results])
    per, patterns = compare(ours, frame)
    print(f"Open-i dev findings, {args.half} half, {len(frame)} reports: cxrlabel (--parser {args.parser}) "
          f"against CheXbert, F1 per class with CheXbert as the reference")
    print(f"{'observation':28s} " + " ".join(f"{c:>10s}" for c in CLASSES))
    for obs, s in per.items():
        print(f"{obs:28s} " + " ".join(f"{s[c]['f1']:10.3f}" if s[c]["f1"] is not None else f"{'-':>10s}"
                                       for c in CLASSES))
    cells = [macro(per, c) for c in CLASSES]
    print(f"{'macro':28s} " + " ".join(f"{m:10.3f}" if m is not None else f"{'-':>10s}" for m, _ in cells))
    print(f"{'(observations)':28s} " + " ".join(f"{k:10d}" for _, k in cells))
    pooled = pooled_scores(ours, frame)
    print(f"{'pooled over all cells':28s} " + " ".join(f"{pooled[c]['f1']:10.3f}" for c in CLASSES))
    print(f"{'(CheXbert cells)':28s} " + " ".join(f"{pooled['support'][c]:10d}" for c in CLASSES))
    print(f"\nmost frequent disagreements (observation: ours -> CheXbert's), of {sum(patterns.values())}:")
    for pattern, count in patterns.most_common(args.top):
        print(f"{count:6d}  {pattern[0]}: {pattern[1]} -> {pattern[2]}")
        if args.show:
            print("\n".join(_examples(results, frame, ours, pattern, args.show)))


if __name__ == "__main__":
    main()
