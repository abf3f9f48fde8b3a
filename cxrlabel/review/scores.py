"""The scores of a reviewed sample as a table, a JSON document and a plot, with plain advice where an interval
is too wide to mean much."""
from __future__ import annotations

import io
import math

import numpy as np

from .estimate import CLASSES, LEVEL, METRICS, REPLICATES, Estimate, Reviewed, estimate
from .sample import CLASS_NAMES, LabelTable

# A 95% interval wider than this cannot tell a labeler of F1 0.8 from one of 0.9.
WIDE = 0.2
# Reviews that give a proportion near 0.5 an interval of WIDE: 1.96^2 * 0.25 / (WIDE / 2)^2.
UNINFORMED = math.ceil(1.96 ** 2 * 0.25 / (WIDE / 2) ** 2)


def _number(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 4)


def _metrics(est: Estimate, j: int, k: int) -> dict:
    return {m: {"value": _number(est.value[j, k, i]), "low": _number(est.low[j, k, i]), "high": _number(est.high[j, k, i])}
            for i, m in enumerate(METRICS)}


def more_to_review(positives: int, low: float | None, high: float | None) -> int | None:
    """How many more reviewed positives would bring the F1 interval down to WIDE, or None when it is narrow
    enough. An interval narrows as one over the square root of the reports behind it, so `positives` (reports
    positive in the labels or the review) must grow by (width / WIDE)^2; with none, or no interval at all,
    as many as a proportion near 0.5 needs."""
    if positives == 0 or low is None or high is None:
        return UNINFORMED
    width = high - low
    if width <= WIDE:
        return None
    return max(1, math.ceil(positives * (width / WIDE) ** 2) - positives)


def score_review(table: LabelTable, reviewed: Reviewed, census: np.ndarray, progress: dict,
                 method: str = "posterior", seed: int = 0) -> dict:
    """Per observation and class: counts among the reviewed reports, plain and archive scores with 95% intervals,
    and advice for the positive class where its archive F1 interval is too wide."""
    plain = estimate(reviewed, weighted=False, method=method, seed=seed)
    archive = estimate(reviewed, weighted=True, method=method, seed=seed, census=census)
    result: dict = {"version": 1, "reviewed": progress["reviewed"], "drawn": progress["drawn"],
                    "archive_reports": len(table.ids),
                    "interval": {"level": LEVEL, "method": method, "draws": REPLICATES, "seed": seed},
                    "observations": {}, "advice": [], "notes": []}
    if progress["reviewed"] < progress["drawn"]:
        result["notes"].append(f"{progress['reviewed']} of {progress['drawn']} sampled reports reviewed so far")
    if progress["strata_unreviewed"]:
        result["notes"].append(f"{progress['strata_unreviewed']} strata ({progress['reports_in_unreviewed_strata']} "
                               "archive reports) have no reviewed report yet; their reports count through others of "
                               "the same predicted class, so keep reviewing")
    for j, obs in enumerate(table.observations):
        pred, gold = reviewed.pred[:, j], reviewed.gold[:, j]
        classes = {}
        for k, name in enumerate(CLASSES):
            counts = {"predicted": int((pred == k).sum()), "reviewed": int((gold == k).sum()),
                      "tp": int(((pred == k) & (gold == k)).sum()), "fp": int(((pred == k) & (gold != k)).sum()),
                      "fn": int(((pred != k) & (gold == k)).sum())}
            classes[name] = {"counts": counts, "sample": _metrics(plain, j, k), "archive": _metrics(archive, j, k)}
        positive = classes["positive"]
        c, f1 = positive["counts"], positive["archive"]["f1"]
        seen = c["tp"] + c["fp"] + c["fn"]
        more = more_to_review(seen, f1["low"], f1["high"])
        advice = None
        if more is not None and (seen or reviewed.archive[j, 0]):
            interval = f"F1 interval {f1['low']:.2f}-{f1['high']:.2f} is too wide" if f1["low"] is not None else "no F1 yet"
            advice = (f"{obs}: {seen} reviewed positive{'' if seen == 1 else 's'} (in the labels or the review; "
                      f"{interval}), review about {more} more")
            result["advice"].append(advice)
        result["observations"][obs] = {
            "archive_predicted": {CLASS_NAMES[k]: int(reviewed.archive[j, k]) for k in range(4)},
            "classes": classes, "advice": advice}
    return result


def _fmt(m: dict) -> str:
    if m["value"] is None:
        return f"{'-':^17s}"
    return f"{m['value']:.2f} [{m['low']:.2f}-{m['high']:.2f}]"


def format_table(result: dict) -> str:
    """One line per observation and class with reviewed reports: archive precision, recall and F1 with their
    intervals, and the plain F1 on the sample."""
    lines = [f"{result['reviewed']} reviewed reports of {result['drawn']} sampled, from an archive of "
             f"{result['archive_reports']}; archive estimates weighted by the sample's inclusion probabilities, "
             f"{round(result['interval']['level'] * 100)}% intervals; pred, rev: reviewed reports in the class by the "
             "labels, by the reviewer",
             f"{'observation':26s} {'class':9s} {'pred':>4s} {'rev':>4s}  {'archive precision':17s}  "
             f"{'archive recall':17s}  {'archive F1':17s}  {'sample F1':17s}"]
    for obs, r in result["observations"].items():
        for name, c in r["classes"].items():
            if not (c["counts"]["predicted"] or c["counts"]["reviewed"]):
                continue
            a, s = c["archive"], c["sample"]
            lines.append(f"{obs:26s} {name:9s} {c['counts']['predicted']:4d} {c['counts']['reviewed']:4d}  "
                         f"{_fmt(a['precision'])}  {_fmt(a['recall'])}  {_fmt(a['f1'])}  {_fmt(s['f1'])}")
    lines += result["notes"]
    if result["advice"]:
        lines.append(f"too wide to mean much (a 95% interval wider than {WIDE}):")
        lines += ["  " + a for a in result["advice"]]
    return "\n".join(lines)


def plot(result: dict) -> bytes | None:
    """A PNG of each observation's positive F1 over the archive with its interval, beside the plain F1 on the
    sample; None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = [(obs, r["classes"]["positive"]) for obs, r in result["observations"].items()]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.4))
    legend = {"archive (weighted), 95% interval", "sample (plain)"}  # each named once

    def name(label: str) -> str | None:
        return legend.discard(label) or label if label in legend else None

    for y, (obs, c) in enumerate(reversed(rows)):
        a, s = c["archive"]["f1"], c["sample"]["f1"]
        if a["value"] is not None:
            ax.errorbar(a["value"], y, xerr=[[a["value"] - a["low"]], [a["high"] - a["value"]]], fmt="o",
                        color="tab:blue", capsize=3, label=name("archive (weighted), 95% interval"))
        if s["value"] is not None:
            ax.plot(s["value"], y, "x", color="tab:orange", label=name("sample (plain)"))
    ax.set_yticks(range(len(rows)), [f"{obs} ({c['counts']['reviewed']})" for obs, c in reversed(rows)])
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("positive F1 (in brackets: reviewed positives)")
    ax.set_title(f"{result['reviewed']} reviewed reports, archive of {result['archive_reports']}")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=120)
    plt.close(fig)
    return out.getvalue()
