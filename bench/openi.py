"""Accuracy on the 3,080 real Open-i reports in ../shared/data/openi_dev (definite-positive gold).

Scores positive F1 per observation over judgeable rows, counting a predicted -1.0 as negative and,
separately, as positive; macro over observations that have gold positives. Prints a skip notice
when the shared folder is absent. Run: python -m bench.openi [--parser none] [--sections all]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.evaluate import score_positive_only
from cxrlabel.pipeline import Labeler, LabelerConfig

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi_dev"


def evaluate_openi(parser: str, sections: str, profile: str) -> dict:
    gold = pd.read_csv(SHARED / f"openi_dev_gold_{profile}.csv")
    gold = gold[gold.judgeable == 1].reset_index(drop=True)
    labeler = Labeler(LabelerConfig(parser=parser, sections=sections))
    start = time.perf_counter()
    results = labeler.label(gold.report_text.fillna("").tolist())
    seconds = time.perf_counter() - start
    pred = pd.DataFrame([r.labels for r in results])
    out = {"reports": len(gold), "seconds": seconds, "per": {}}
    for unc in (False, True):
        scores = {}
        for obs in pred.columns:
            g = gold[obs].to_numpy(dtype=float)
            if np.nansum(g == 1.0) == 0:
                continue
            scores[obs] = score_positive_only(pred[obs].to_numpy(dtype=float), g, unc)
        out["per"]["uncertain_as_positive" if unc else "uncertain_as_negative"] = scores
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, prog="python -m bench.openi")
    ap.add_argument("--parser", default="spacy")
    ap.add_argument("--sections", default="all")
    ap.add_argument("--profile", default="broad", choices=("broad", "strict"))
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"openi: skipped, {SHARED} is absent")
        return
    r = evaluate_openi(args.parser, args.sections, args.profile)
    neg, pos = r["per"]["uncertain_as_negative"], r["per"]["uncertain_as_positive"]
    print(f"Open-i dev ({args.profile} gold, --parser {args.parser}, --sections {args.sections}): "
          f"{r['reports']} judgeable reports in {r['seconds']:.1f}s")
    print(f"{'observation':28s} {'F1 -1=neg':>9s} {'F1 -1=pos':>9s} {'prec':>6s} {'recall':>6s} {'support':>7s}")
    for obs in neg:
        print(f"{obs:28s} {neg[obs]['f1']:9.3f} {pos[obs]['f1']:9.3f} {neg[obs]['precision'] or 0:6.3f} "
              f"{neg[obs]['recall'] or 0:6.3f} {neg[obs]['support']:7d}")
    print(f"{'macro positive F1':28s} {np.mean([v['f1'] for v in neg.values()]):9.3f} "
          f"{np.mean([v['f1'] for v in pos.values()]):9.3f}")


if __name__ == "__main__":
    main()
