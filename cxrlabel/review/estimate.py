"""Precision, recall and F1 of each observation and class, from a reviewed sample: on the sample as it is
(plain), and over the whole archive (weighted), each with a 95% interval.

The archive estimate uses what is known exactly: how many reports the labels put in each predicted class
of each observation. Within each predicted class the reviewed reports, weighted by 1/inclusion
probability, estimate how the reviewer's classes are spread; multiplied by the class's archive count
this gives the archive's confusion matrix, and precision, recall and F1 follow from it. (A ratio
estimator post-stratified on the predicted class: unbiased in large samples, and steadier than the
plain Horvitz-Thompson ratio because the predicted counts are not left to chance.)

Intervals, two methods, measured against each other in `python -m bench.review` (README, "Is the estimator right?"):
- `bootstrap`: the design bootstrap. Each replicate redraws, within every design stratum, one report fewer
  than it has, with replacement, rescaled (Rao and Wu); a stratum drawn whole is kept as it is. The
  interval is the 2.5 and 97.5 percentiles of the replicates' estimates. It cannot see an error the
  sample happened to miss: with no reviewed false positive every replicate's precision is 1.0.
- `posterior` (the default): each predicted class's share of each reviewer class is drawn from its
  Beta posterior (prior Beta(0.25, 0.25)), with the weighted counts scaled to the Kish effective sample
  size, and the estimate computed from the draws. Unlike the bootstrap it stays honest when a class holds few or no
  reviewed errors: three reviewed false negatives out of none found still widen the recall's interval.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

CLASSES = ("positive", "negation", "uncertain")  # class codes 0, 1, 2 (1.0, 0.0, -1.0); blank is 3
METRICS = ("precision", "recall", "f1")
METHODS = ("posterior", "bootstrap")
LEVEL = 0.95
REPLICATES = 2000
# Beta(0.25, 0.25): chosen over 0.5 (Jeffreys) and 0.1 on the Open-i tuning half (README, "Is the estimator right?")
PRIOR = 0.25


@dataclass
class Reviewed:
    """The reviewed reports of a sample: predicted and reviewer class codes, (reports, observations);
    each report's weight (1 / inclusion probability, adjusted for a review not yet finished) and design
    stratum; and the archive's count of reports in each predicted class, (observations, 4)."""

    pred: np.ndarray
    gold: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray
    archive: np.ndarray


def _one_hot(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(reports, observations * 16): one 1 per observation, at predicted class * 4 + reviewer class."""
    n, n_obs = pred.shape
    out = np.zeros((n, n_obs * 16))
    out[np.arange(n)[:, None], np.arange(n_obs)[None, :] * 16 + pred * 4 + gold] = 1.0
    return out


def confusion(weights: np.ndarray, pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Weighted counts of (predicted, reviewer) class pairs: (replicates, observations, 4, 4) for weights of
    shape (replicates, reports)."""
    return (weights @ _one_hot(pred, gold)).reshape(len(weights), pred.shape[1], 4, 4)


def to_archive(counts: np.ndarray, archive: np.ndarray) -> np.ndarray:
    """Sample counts to the archive's confusion matrix: each predicted class's reviewer shares times its archive
    count. A predicted class with nothing reviewed adds nothing (and the interval methods say how unsure)."""
    totals = counts.sum(axis=-1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return shares * archive[..., None]


def scores(matrix: np.ndarray) -> np.ndarray:
    """Precision, recall and F1 of each class from confusion matrices (..., 4, 4): shape (..., 3 classes,
    3 metrics), NaN where undefined."""
    out = np.full(matrix.shape[:-2] + (3, 3), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            tp = matrix[..., k, k]
            predicted = matrix[..., k, :].sum(axis=-1)
            actual = matrix[..., :, k].sum(axis=-1)
            out[..., k, 0] = tp / predicted
            out[..., k, 1] = tp / actual
            out[..., k, 2] = 2 * tp / (predicted + actual)
    return out


def design_bootstrap(weight: np.ndarray, stratum: np.ndarray, census: np.ndarray, replicates: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Replicate weights (replicates, reports): within each stratum, its reviewed reports redrawn with
    replacement; strata reviewed whole (`census`) or of one report keep their reports."""
    out = np.tile(weight, (replicates, 1))
    for h in np.unique(stratum):
        members = np.flatnonzero(stratum == h)
        if census[h]:
            continue
        if len(members) < 2:
            continue
        # Rao and Wu's rescaling: n - 1 redrawn, weighted by n / (n - 1), so a stratum of few reports is not
        # taken for a steadier one than it is
        times = rng.multinomial(len(members) - 1, np.full(len(members), 1 / len(members)), size=replicates)
        out[:, members] *= times * len(members) / (len(members) - 1)
    return out


def posterior_scores(counts: np.ndarray, squares: np.ndarray, archive: np.ndarray, replicates: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Scores (replicates, observations, 3, 3) from the Beta posterior of each predicted class's share of
    each reviewer class (one class against the rest), the weighted counts scaled to the Kish effective size
    (sum of weights squared over the sum of squared weights)."""
    totals = counts.sum(axis=-1)  # (observations, 4)
    effective = np.divide(totals ** 2, squares, out=np.zeros_like(totals), where=squares > 0)
    out = np.full((replicates,) + counts.shape[:1] + (3, 3), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            share = np.divide(counts[..., k], totals, out=np.zeros_like(totals), where=totals > 0)
            hits = share * effective
            draws = rng.beta(hits + PRIOR, effective - hits + PRIOR, size=(replicates,) + totals.shape)
            found = draws * archive  # (replicates, observations, 4): reports of reviewer class k per predicted class
            tp = found[..., k]
            predicted = archive[:, k]
            actual = found.sum(axis=-1)
            out[..., k, 0] = np.where(predicted > 0, tp / predicted, np.nan)
            out[..., k, 1] = tp / actual
            out[..., k, 2] = 2 * tp / (predicted + actual)
    return out


@dataclass
class Estimate:
    """Point values and interval bounds, each (observations, 3 classes, 3 metrics); NaN where undefined."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _interval(value: np.ndarray, draws: np.ndarray) -> Estimate:
    """The central 95% of the draws, widened where needed to hold the estimate itself (a class with every
    reviewed report right has an estimate of 1.0, the edge of its posterior)."""
    tail = (1 - LEVEL) / 2 * 100
    usable = np.isfinite(draws)
    with warnings.catch_warnings():  # a score undefined in every draw stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(np.where(usable, draws, np.nan), [tail, 100 - tail], axis=0)
    low = np.where(np.isfinite(value), np.fmin(low, value), np.nan)
    high = np.where(np.isfinite(value), np.fmax(high, value), np.nan)
    return Estimate(value, low, high)


def estimate(reviewed: Reviewed, weighted: bool, method: str = "posterior", replicates: int = REPLICATES,
             seed: int = 0, census: np.ndarray | None = None) -> Estimate:
    """Archive-level (`weighted`) or plain scores with their intervals. Plain scores treat the reviewed reports
    as the whole: weights of 1 and the sample's own predicted-class counts."""
    rng = np.random.default_rng(seed)
    pred, gold = reviewed.pred, reviewed.gold
    weight = reviewed.weight if weighted else np.ones(len(pred))
    counts = confusion(weight[None, :], pred, gold)[0]
    archive = reviewed.archive if weighted else counts.sum(axis=-1)
    value = scores(to_archive(counts, archive))
    if method == "posterior":
        squares = confusion((weight ** 2)[None, :], pred, gold)[0].sum(axis=-1)
        draws = posterior_scores(counts, squares, archive, replicates, rng)
    elif method == "bootstrap":
        stratum = reviewed.stratum if weighted else np.zeros(len(pred), dtype=int)
        done = census if weighted and census is not None else np.zeros(stratum.max() + 1 if len(stratum) else 0, bool)
        replicate = design_bootstrap(weight, stratum, done, replicates, rng)
        draws = scores(to_archive(confusion(replicate, pred, gold), archive))
    else:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    return _interval(value, draws)
