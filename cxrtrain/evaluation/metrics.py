"""Evaluation metrics, thresholds and ROC plots; every number says which split it comes from.

Only certain labels are scored: uncertain (-1) cells never count, and blank cells count as
negatives only under --blank zero. An observation with one class in a split has no AUC: it is
reported as null with the reason instead of crashing the run.
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from cxrlabel.output_guard import make_folder, write_atomically

from ..errors import OptionError

BOOTSTRAP_SAMPLES = 1000
RELIABILITY_BINS = 10
OPERATING_POINTS = "f1, youden or sens=X (e.g. sens=0.9)"
PLOT_FONT = "DejaVu Sans"  # matplotlib's own, for Latin text


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, str | None]:
    """The probability cut-off that maximises F1 on these labels (used on validation only)."""
    if y.sum() == 0:
        return 0.5, "no positive example to choose a threshold on; 0.5 used"
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1 - y_sorted)
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]  # ties share one threshold
    f1 = 2 * tp / (tp + fp + y.sum())
    f1 = np.where(last_of_value, f1, -1)
    best = int(np.argmax(f1))
    # Halfway to the next lower score: the same F1 here, but not on the edge of the last positive.
    threshold = p_sorted[best] if best + 1 == len(p_sorted) else (p_sorted[best] + p_sorted[best + 1]) / 2
    return float(threshold), None


def parse_operating_point(text: str) -> tuple[str, float | None]:
    """'f1', 'youden' or 'sens=0.9' -> (rule, target sensitivity)."""
    rule = text.strip().lower()
    if rule in ("f1", "youden"):
        return rule, None
    if rule.startswith("sens="):
        try:
            target = float(rule[5:])
        except ValueError:
            target = -1.0
        if 0 < target <= 1:
            return "sens", target
    raise OptionError("operating_point", text, f"unknown; choose {OPERATING_POINTS}")


def youden_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The cut-off with the largest sensitivity + specificity - 1."""
    fpr, tpr, cut = roc_curve(y, p)
    best = int(np.argmax(tpr[1:] - fpr[1:])) + 1  # cut[0] is +inf: nothing positive
    return float(cut[best])


def sensitivity_threshold(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """The highest cut-off whose sensitivity reaches `target` (so specificity is as high as it can be)."""
    _, tpr, cut = roc_curve(y, p, drop_intermediate=False)
    return float(cut[int(np.argmax(tpr >= target - 1e-12))])


def choose_threshold(y: np.ndarray, p: np.ndarray, operating_point: str) -> dict:
    """The threshold of one output by the chosen rule, with the other rules' for comparison."""
    rule, target = parse_operating_point(operating_point)
    if y.sum() == 0 or y.sum() == len(y):
        return {"threshold": 0.5, "rule": operating_point,
                "note": f"validation has only {'negative' if y.sum() == 0 else 'positive'} labels to choose a "
                        "threshold on; 0.5 used"}
    f1, _ = best_f1_threshold(y, p)
    sens = target if target is not None else 0.9  # shown for comparison whatever the rule
    options = {"f1": f1, "youden": youden_threshold(y, p), f"sens={sens:g}": sensitivity_threshold(y, p, sens)}
    chosen = options[rule if rule != "sens" else f"sens={sens:g}"]
    out = {"threshold": chosen, "rule": operating_point, "by_rule": {k: _num(v) for k, v in options.items()}}
    if rule == "f1" and np.all(p >= f1):
        # stored in thresholds.json, never printed: the setting by its name (errors.py), not its flag
        out["note"] = (f"maximum F1 calls every validation image positive (prevalence {y.mean():.2f}); "
                       "operating_point youden or sens=X keeps some specificity")
    return out


def bootstrap_auc(y: np.ndarray, p: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> list[float] | None:
    """95% percentile interval of the AUC over resamples of the images (with replacement)."""
    rng = np.random.default_rng(seed)
    aucs = []
    for start in range(0, samples, 100):  # 100 resamples at a time keeps memory at 100 x n
        index = rng.integers(0, len(y), (min(100, samples - start), len(y)))
        yy, ranks = y[index], rankdata(p[index], axis=1)
        n_pos = yy.sum(axis=1)
        n_neg = len(y) - n_pos
        both = (n_pos > 0) & (n_neg > 0)
        rank_sum = (ranks * yy).sum(axis=1)
        aucs.append(((rank_sum - n_pos * (n_pos + 1) / 2) / np.maximum(n_pos * n_neg, 1))[both])
    values = np.concatenate(aucs)
    if len(values) < samples // 2:
        return None
    return [_num(float(np.percentile(values, 2.5))), _num(float(np.percentile(values, 97.5)))]


def calibration_error(y: np.ndarray, p: np.ndarray, bins: int = RELIABILITY_BINS) -> float | None:
    """Expected calibration error: |observed positive rate - mean probability| over equal-width bins."""
    if not len(y):
        return None
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(y[inside].mean() - p[inside].mean())
    return _num(error)


def binary_report(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """AUC with its bootstrap 95% interval, average precision, calibration error, and the confusion
    counts at a fixed threshold."""
    y = np.asarray(y).astype(int)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    out: dict = {"n": int(len(y)), "positives": n_pos, "negatives": n_neg}
    if n_pos and n_neg:
        out["auc"] = _num(roc_auc_score(y, p))
        out["auc_95ci"] = bootstrap_auc(y, p)
    else:
        out["auc"] = None
        out["auc_note"] = (f"undefined: this split has only {'positive' if n_pos else 'negative'} labels"
                           if len(y) else "undefined: no labelled images in this split")
    out["average_precision"] = _num(average_precision_score(y, p)) if n_pos else None
    if not n_pos:
        out["average_precision_note"] = "undefined: no positive labels in this split"
    out["calibration_error"] = calibration_error(y, p)
    predicted = (p >= threshold).astype(int)
    tp = int(((predicted == 1) & (y == 1)).sum())
    fp = int(((predicted == 1) & (y == 0)).sum())
    tn = int(((predicted == 0) & (y == 0)).sum())
    fn = int(((predicted == 0) & (y == 1)).sum())
    out.update({
        "threshold": _num(threshold),
        "sensitivity": _num(tp / (tp + fn)) if tp + fn else None,
        "specificity": _num(tn / (tn + fp)) if tn + fp else None,
        "f1": _num(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else None,
        "confusion_matrix": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
    })
    return out


def scorable(values: np.ndarray, blank: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels 0/1, usable mask) for evaluation: -1 never scored; blank negative unless --blank ignore."""
    labels = (values == 1).astype(int)
    usable = (values == 1) | (values == 0)
    if blank == "zero":
        usable |= np.isnan(values)
    return labels, usable


def thresholds_from(values: np.ndarray, probs: np.ndarray, outputs: list[str], blank: str,
                    operating_point: str = "f1") -> dict:
    """Per output, the validation threshold by the operating-point rule (and why 0.5 was used when it was)."""
    chosen = {}
    for j, name in enumerate(outputs):
        labels, usable = scorable(values[:, j], blank)
        chosen[name] = choose_threshold(labels[usable], probs[usable, j], operating_point)
    return chosen


def multilabel_report(split: str, values: np.ndarray, probs: np.ndarray, outputs: list[str], blank: str,
                      thresholds: dict, roc_dir: Path | None = None) -> dict:
    """Per-observation metrics for one split, plus mean AUC and mean average precision."""
    per = {}
    for j, name in enumerate(outputs):
        labels, usable = scorable(values[:, j], blank)
        per[name] = {"split": split, **binary_report(labels[usable], probs[usable, j], thresholds[name]["threshold"])}
    aucs = [m["auc"] for m in per.values() if m["auc"] is not None]
    aps = [m["average_precision"] for m in per.values() if m["average_precision"] is not None]
    report = {"split": split, "n_images": int(len(values)), "observations": per,
              "mean_auc": _num(float(np.mean(aucs))) if aucs else None,
              "mean_average_precision": _num(float(np.mean(aps))) if aps else None,
              "note": "uncertain (-1) labels are not scored; blank labels are "
                      + ("negatives" if blank == "zero" else "not scored")}
    if roc_dir is not None:
        curves = {n: scorable(values[:, j], blank) + (probs[:, j],) for j, n in enumerate(outputs)}
        plot_rocs(roc_dir / f"roc_{split}.png", split, curves, per)
        plot_reliability(roc_dir / f"reliability_{split}.png", split, curves)
    return report


def multiclass_report(split: str, classes_true: np.ndarray, probs: np.ndarray, outputs: list[str],
                      roc_dir: Path | None = None) -> dict:
    """Top-1 accuracy, top-3 sensitivity (true class among the three most probable), per-class
    one-vs-rest AUC, and the confusion matrix (rows true, columns predicted)."""
    y = np.asarray(classes_true).astype(int)
    k = len(outputs)
    top = np.argsort(-probs, axis=1)
    in_top3 = (top[:, :3] == y[:, None]).any(axis=1) if len(y) else np.zeros(0, bool)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (y, top[:, 0] if len(y) else y), 1)
    per = {}
    for c, name in enumerate(outputs):
        rows = y == c
        one_vs_rest = binary_report(rows.astype(int), probs[:, c], 0.5)
        per[name] = {"split": split, "n": int(rows.sum()),
                     "top3_sensitivity": _num(float(in_top3[rows].mean())) if rows.any() else None,
                     "sensitivity": _num(float((top[rows, 0] == c).mean())) if rows.any() else None,
                     "auc": one_vs_rest["auc"], **({"auc_note": one_vs_rest["auc_note"]} if "auc_note" in one_vs_rest else {}),
                     "average_precision": one_vs_rest["average_precision"]}
    aucs = [m["auc"] for m in per.values() if m["auc"] is not None]
    if roc_dir is not None and len(y):
        plot_rocs(roc_dir / f"roc_{split}.png", split,
                  {n: ((y == c).astype(int), np.ones(len(y), bool), probs[:, c]) for c, n in enumerate(outputs)}, per)
    return {"split": split, "n_images": int(len(y)), "classes": per,
            "top1_accuracy": _num(float((top[:, 0] == y).mean())) if len(y) else None,
            "top3_sensitivity": _num(float(in_top3.mean())) if len(y) else None,
            "mean_auc": _num(float(np.mean(aucs))) if aucs else None,
            "confusion_matrix": {"labels": outputs, "rows_true_columns_predicted": confusion.tolist()}}


def plot_rocs(path: Path, split: str, curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
              per: dict) -> None:
    """One PNG with a ROC curve per output that has both classes in this split."""
    with _pyplot(curves) as plt:
        fig, ax = plt.subplots(figsize=(6, 6))
        for name, (labels, usable, p) in curves.items():
            y = labels[usable]
            if per[name].get("auc") is None:
                continue
            fpr, tpr, _ = roc_curve(y, p[usable])
            ax.plot(fpr, tpr, label=f"{name} (AUC {per[name]['auc']:.3f})")
        _finish_square_plot(fig, ax, path, ("1 - specificity", "sensitivity"), f"ROC, {split} split", "lower right")


def plot_reliability(path: Path, split: str, curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """Observed positive rate against mean predicted probability in equal-width bins, per output."""
    with _pyplot(curves) as plt:
        fig, ax = plt.subplots(figsize=(6, 6))
        for name, (labels, usable, p) in curves.items():
            y, q = labels[usable], p[usable]
            if not len(y):
                continue
            which = np.minimum((q * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
            filled = [b for b in range(RELIABILITY_BINS) if (which == b).any()]
            ax.plot([q[which == b].mean() for b in filled], [y[which == b].mean() for b in filled], marker="o",
                    label=f"{name} (ECE {calibration_error(y, q):.3f})")
        _finish_square_plot(fig, ax, path, ("mean predicted probability", "observed positive rate"),
                            f"Reliability, {split} split ({RELIABILITY_BINS} bins)", "upper left")


def _finish_square_plot(fig, ax, path: Path, labels: tuple[str, str], title: str, legend: str) -> None:
    """The chance diagonal, axis labels, title and legend of a unit-square plot, then save and close it."""
    import matplotlib.pyplot as plt

    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=legend, fontsize="small")
    make_folder(path.parent, "out")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip(".") or "png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    write_atomically(path, buffer.getvalue(), "out")


@functools.lru_cache(maxsize=None)
def font_with(chars: frozenset[str]) -> str | None:
    """An installed font (matplotlib's font_manager) that draws all of `chars`, CJK ones tried first: the
    fallback for observation names that matplotlib's own font lacks."""
    from matplotlib import font_manager, ft2font

    for entry in sorted(font_manager.fontManager.ttflist, key=lambda f: ("CJK" not in f.name, f.name)):
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot open
            continue
        if all(ord(c) in charmap for c in chars):
            return entry.name
    return None


@contextlib.contextmanager
def _pyplot(curves: dict) -> Iterator:
    """pyplot on the Agg backend, its font falling back to an installed one that draws the outputs' names
    (Chinese observations). When none is installed this is said once per process, instead of matplotlib's
    warning for every missing glyph, and the names are drawn as boxes. No setting outlives the plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    chars = {c for name in curves for c in str(name) if not c.isascii() and not c.isspace()}
    default = font_manager.get_font(font_manager.findfont(PLOT_FONT)).get_charmap()
    missing = frozenset(c for c in chars if ord(c) not in default)
    fallback = font_with(missing) if missing else None
    with plt.rc_context({"font.family": [PLOT_FONT, *([fallback] if fallback else [])]}), \
            warnings.catch_warnings():
        if missing and not fallback:
            _no_font(missing)
            warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from font", UserWarning)
        yield plt


@functools.lru_cache(maxsize=None)
def _no_font(missing: frozenset[str]) -> None:
    print(f"cxrtrain: no installed font draws {len(missing)} characters of the observation names, so the plots show "
          "them as boxes; install one that does (e.g. Debian's fonts-noto-cjk for Chinese)", file=sys.stderr)
