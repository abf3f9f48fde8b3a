"""Accuracy on the 3,080 real Open-i reports in ../shared/data/openi_dev (definite-positive gold).

Scores positive F1 per observation over judgeable rows, counting a predicted -1.0 as negative and,
separately, as positive; macro over observations that have gold positives, and micro, pooled over the
same cells (so frequent observations weigh more). Each summary carries a bootstrap 95% interval over
reports, so a change inside the noise is not read as progress. The reports are split by
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
from cxrlabel.en.labeler import LabelerConfig, Pipeline
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


BOOTSTRAP = 1000  # resamples of the reports for each interval
SEED = 0  # the same resamples for every labeler, so intervals of two labelers compare on the same draws


def macro(scores: dict[str, dict]) -> float:
    return float(np.mean([s["f1"] for s in scores.values()]))


def micro(scores: dict[str, dict]) -> float:
    """Positive F1 pooled over every scored cell."""
    tp, fp, fn = (sum(s[k] for s in scores.values()) for k in ("tp", "fp", "fn"))
    return tp / (tp + 0.5 * (fp + fn))


def counts(pred: pd.DataFrame, gold: pd.DataFrame, observations: list[str], uncertain_positive: bool) -> np.ndarray:
    """Per report and observation, (tp, fp, fn) of the positive class: shape (reports, observations, 3)."""
    out = np.zeros((len(gold), len(observations), 3))
    for j, obs in enumerate(observations):
        g = gold[obs].to_numpy(dtype=float)
        p = pred[obs].to_numpy(dtype=float)
        judged, truth = ~np.isnan(g), g == 1.0
        called = (p == 1.0) | ((p == -1.0) if uncertain_positive else False)
        out[:, j] = np.stack([judged & called & truth, judged & called & ~truth, judged & ~called & truth], axis=1)
    return out


def resampled(pred: pd.DataFrame, gold: pd.DataFrame, observations: list[str], uncertain_positive: bool = False,
              reps: int = BOOTSTRAP, seed: int = SEED) -> dict[str, np.ndarray]:
    """Macro and micro positive F1 on `reps` bootstrap resamples of the reports (with replacement). The same seed
    draws the same resamples for every labeler, so two labelers' samples pair up for a difference."""
    per_report = counts(pred, gold, observations, uncertain_positive).reshape(len(gold), -1)
    weights = np.random.default_rng(seed).multinomial(len(gold), np.full(len(gold), 1 / len(gold)), size=reps)
    tp, fp, fn = np.moveaxis((weights @ per_report).reshape(reps, len(observations), 3), 2, 0)
    with np.errstate(invalid="ignore"):
        per_obs = tp / (tp + 0.5 * (fp + fn))  # nan where a resample has no cell of the observation at all
        pooled = tp.sum(1) / (tp.sum(1) + 0.5 * (fp.sum(1) + fn.sum(1)))
    return {"macro": np.nanmean(per_obs, axis=1), "micro": pooled}


def interval(samples: np.ndarray) -> tuple[float, float]:
    """The central 95% of bootstrap samples."""
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return float(lo), float(hi)


def intervals(pred: pd.DataFrame, gold: pd.DataFrame, observations: list[str], uncertain_positive: bool = False,
              reps: int = BOOTSTRAP, seed: int = SEED) -> dict[str, tuple[float, float]]:
    """Bootstrap 95% intervals of macro and micro positive F1, resampling reports with replacement."""
    return {k: interval(v) for k, v in resampled(pred, gold, observations, uncertain_positive, reps, seed).items()}


def summary(pred: pd.DataFrame, gold: pd.DataFrame, scores: dict[str, dict], uncertain_positive: bool = False) -> str:
    """'macro 0.878 [0.85, 0.90]  micro 0.920 [0.91, 0.93]' for one labeler."""
    ci = intervals(pred, gold, list(scores), uncertain_positive)
    lo, hi = ci["macro"]
    mlo, mhi = ci["micro"]
    return f"macro {macro(scores):.3f} [{lo:.3f}, {hi:.3f}]  micro {micro(scores):.3f} [{mlo:.3f}, {mhi:.3f}]"


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


def label(labeler: Pipeline, texts: pd.Series) -> pd.DataFrame:
    return pd.DataFrame([r.labels for r in labeler.label(texts.fillna("").tolist())])


def evaluate_openi(parser: str, sections: str, profile: str, half: str = "all") -> dict:
    gold = load_gold(profile, half)
    labeler = Pipeline(LabelerConfig(parser=parser, sections=sections))
    start = time.perf_counter()
    pred = label(labeler, gold.report_text)
    return {"reports": len(gold), "seconds": time.perf_counter() - start, "per": score(pred, gold), "pred": pred,
            "gold": gold}


def compare_sections(parser: str, profile: str) -> dict[str, dict[str, float]]:
    """Macro positive F1 (-1.0 as negative) of every --sections choice, per half."""
    gold = load_gold(profile, "all")
    halves = {h: in_half(gold.uid, h).to_numpy() for h in HALVES}
    out = {}
    for choice in SECTION_CHOICES[1:]:  # "default" is one of the others
        pred = label(Pipeline(LabelerConfig(parser=parser, sections=choice)), gold.report_text)
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
    print(f"{'micro positive F1':28s} {micro(neg):9.3f} {micro(pos):9.3f}")
    for title, scores, unc in (("-1 as negative", neg, False), ("-1 as positive", pos, True)):
        print(f"{title}: {summary(r['pred'], r['gold'], scores, unc)} (bootstrap 95% over reports)")


if __name__ == "__main__":
    main()
