"""The Open-i benches' summary figures on small hand-made tables: micro F1 pools cells, and the bootstrap
intervals resample reports, so a labeler's interval holds its own figure and two labelers pair up."""
import numpy as np
import pandas as pd

from bench.openi import interval, intervals, macro, micro, resampled, score

GOLD = pd.DataFrame({"Edema": [1.0, 1.0, 0.0, 0.0, 1.0, 0.0] * 5, "Pneumonia": [1.0, 0.0, 0.0, 0.0, 0.0, np.nan] * 5})
PRED = pd.DataFrame({"Edema": [1.0, -1.0, 1.0, 0.0, 1.0, np.nan] * 5, "Pneumonia": [1.0, 1.0, np.nan, 0.0, 0.0, 1.0] * 5})


def test_micro_pools_cells_and_macro_averages_observations():
    scores = score(PRED, GOLD)["uncertain_as_negative"]
    # Edema: tp 10, fp 5, fn 5 -> 2/3; Pneumonia (the blank gold cell is not judged): tp 5, fp 5, fn 0 -> 2/3
    assert macro(scores) == np.mean([s["f1"] for s in scores.values()])
    assert micro(scores) == 15 / (15 + 0.5 * (10 + 5))


def test_intervals_hold_the_figure_and_the_same_seed_draws_the_same_resamples():
    scores = score(PRED, GOLD)["uncertain_as_negative"]
    ci = intervals(PRED, GOLD, list(scores))
    assert ci["macro"][0] <= macro(scores) <= ci["macro"][1]
    assert ci["micro"][0] <= micro(scores) <= ci["micro"][1]
    assert ci["micro"][0] < ci["micro"][1]
    # a labeler against itself: every paired difference is zero
    a, b = resampled(PRED, GOLD, list(scores)), resampled(PRED, GOLD, list(scores))
    assert interval(a["micro"] - b["micro"]) == (0.0, 0.0)
    # uncertain counted as positive moves the figure the resamples are drawn around
    assert resampled(PRED, GOLD, list(scores), uncertain_positive=True)["micro"].mean() != a["micro"].mean()
