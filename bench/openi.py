"""Accuracy on the 3,080 real Open-i reports in ../shared/data/openi_dev (definite-positive gold).

Scores positive F1 per observation over judgeable rows, counting a predicted -1.0 as negative and,
separately, as positive; macro over observations that have gold positives. The reports are split by
uid into a tuning half (even) and a check half (odd): choices are made on the first and confirmed on
the second, so the check figure is not tuned to. Prints a skip notice when the shared folder is absent.
Run: python -m bench.openi [--half tune|check|all] [--parser none] [--sections all] [--compare-sections]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.scoring import score_positive_only
from cxrlabel.en.labeler import Labeler, LabelerConfig
from cxrlabel.en.sections import DEFAULT, SECTION_CHOICES

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi_dev"
HALVES = ("tune", "check", "all")


def in_half(uids: pd.Series, half: str) -> pd.Series:
    """Rows of the half: tune is the even uids, check the odd ones, all both. Every Open-i bench uses this."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {', '.join(HALVES)}, not {half!r}")
    if half == "all":
        return pd.Series(True, index=uids.index)
    return (uids.astype(int) % 2 == 0) == (half == "tune")


def load_gold(profile: str, half: str) -> pd.DataFrame:
    """The judgeable gold rows of one half, in file order."""
    gold = pd.read_csv(SHARED / f"openi_dev_gold_{profile}.csv")
    return gold[(gold.judgeable == 1) & in_half(gold.uid, half)].reset_index(drop=True)


def macro(scores: dict[str, dict]) -> float:
    return float(np.mean([s["f1"] for s in scores.values()]))


def score(pred: pd.DataFrame, gold: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """Per observation with gold positives: positive F1 with -1.0 counted as negative, and as positive."""
    per: dict[str, dict[str, dict]] = {}
    for unc in (False, True):
        scores = {}
        for obs in pred.columns:
            g = gold[obs].to_numpy(dtype=float)
            if np.nansum(g == 1.0) == 0:
                continue
            scores[obs] = score_positive_only(pred[obs].to_numpy(dtype=float), g, unc)
        per["uncertain_as_positive" if unc else "uncertain_as_negative"] = scores
    return per


def label(labeler: Labeler, texts: pd.Series) -> pd.DataFrame:
    return pd.DataFrame([r.labels for r in labeler.label(texts.fillna("").tolist())])


def evaluate_openi(parser: str, sections: str, profile: str, half: str = "all") -> dict:
    gold = load_gold(profile, half)
    labeler = Labeler(LabelerConfig(parser=parser, sections=sections))
    start = time.perf_counter()
    pred = label(labeler, gold.report_text)
    return {"reports": len(gold), "seconds": time.perf_counter() - start, "per": score(pred, gold)}


def compare_sections(parser: str, profile: str) -> dict[str, dict[str, float]]:
    """Macro positive F1 (-1.0 as negative) of every --sections choice, per half."""
    gold = load_gold(profile, "all")
    halves = {h: in_half(gold.uid, h).to_numpy() for h in HALVES}
    out = {}
    for choice in SECTION_CHOICES[1:]:  # "default" is one of the others
        pred = label(Labeler(LabelerConfig(parser=parser, sections=choice)), gold.report_text)
        out[choice] = {h: macro(score(pred[rows].reset_index(drop=True), gold[rows].reset_index(drop=True))
                                ["uncertain_as_negative"]) for h, rows in halves.items()}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, prog="python -m bench.openi")
    ap.add_argument("--parser", default="spacy")
    ap.add_argument("--sections", default="default", choices=SECTION_CHOICES,
                    help=f"as cxrlabel extract --sections (default: the labeler's, now {DEFAULT})")
    ap.add_argument("--profile", default="broad", choices=("broad", "strict"))
    ap.add_argument("--half", default="check", choices=HALVES,
                    help="tune: even uids, for choosing; check: odd uids, for confirming (default); all: both")
    ap.add_argument("--compare-sections", action="store_true",
                    help="macro positive F1 of every --sections choice on each half, instead of one table")
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"openi: skipped, {SHARED} is absent")
        return
    if args.compare_sections:
        table = compare_sections(args.parser, args.profile)
        print(f"Open-i dev ({args.profile} gold, --parser {args.parser}): macro positive F1, -1 as negative")
        print(f"{'--sections':22s} " + " ".join(f"{h:>6s}" for h in HALVES))
        for choice, row in table.items():
            mark = "  (default)" if choice == DEFAULT else ""
            print(f"{choice:22s} " + " ".join(f"{row[h]:6.3f}" for h in HALVES) + mark)
        return
    r = evaluate_openi(args.parser, args.sections, args.profile, args.half)
    neg, pos = r["per"]["uncertain_as_negative"], r["per"]["uncertain_as_positive"]
    choice = DEFAULT if args.sections == "default" else args.sections
    print(f"Open-i dev, {args.half} half ({args.profile} gold, --parser {args.parser}, --sections {choice}): "
          f"{r['reports']} judgeable reports in {r['seconds']:.1f}s")
    print(f"{'observation':28s} {'F1 -1=neg':>9s} {'F1 -1=pos':>9s} {'prec':>6s} {'recall':>6s} {'support':>7s}")
    for obs in neg:
        print(f"{obs:28s} {neg[obs]['f1']:9.3f} {pos[obs]['f1']:9.3f} {neg[obs]['precision'] or 0:6.3f} "
              f"{neg[obs]['recall'] or 0:6.3f} {neg[obs]['support']:7d}")
    print(f"{'macro positive F1':28s} {macro(neg):9.3f} {macro(pos):9.3f}")


if __name__ == "__main__":
    main()
