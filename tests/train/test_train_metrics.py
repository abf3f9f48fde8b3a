"""Metric functions on hand-made predictions with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from cxrtrain.evaluation.metrics import best_f1_threshold, binary_report, multiclass_report, multilabel_report, thresholds_from


def test_best_f1_threshold_and_confusion_counts():
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    threshold, note = best_f1_threshold(y, p)
    # cutting below 0.3 catches all 3 positives with 1 false positive (F1 6/7): the best possible
    assert note is None and 0.2 < threshold <= 0.3
    report = binary_report(y, p, threshold)
    assert report["confusion_matrix"] == {"tp": 3, "fp": 1, "tn": 2, "fn": 0}
    assert report["sensitivity"] == 1.0 and report["specificity"] == pytest.approx(2 / 3, abs=1e-6)
    assert report["f1"] == pytest.approx(6 / 7, abs=1e-6) and report["auc"] == pytest.approx(8 / 9, abs=1e-6)
    assert best_f1_threshold(np.zeros(3), np.array([0.1, 0.5, 0.9]))[0] == 0.5  # no positives: 0.5, with a note


def test_one_class_split_gives_null_auc_with_reason():
    report = binary_report(np.ones(4), np.array([0.2, 0.4, 0.6, 0.8]), 0.5)
    assert report["auc"] is None and report["auc_note"] == "undefined: this split has only positive labels"
    assert report["sensitivity"] == 0.5 and report["specificity"] is None


def test_multilabel_scores_certain_labels_only():
    values = np.array([[1], [0], [-1], [np.nan]], dtype=np.float32)
    probs = np.array([[0.9], [0.1], [0.8], [0.7]])
    zero = multilabel_report("test", values, probs, ["A"], "zero", {"A": {"threshold": 0.5}})["observations"]["A"]
    assert (zero["n"], zero["positives"], zero["negatives"]) == (3, 1, 2)  # -1 never scored, blank negative
    ignore = multilabel_report("test", values, probs, ["A"], "ignore", {"A": {"threshold": 0.5}})["observations"]["A"]
    assert (ignore["n"], ignore["split"]) == (2, "test")
    assert thresholds_from(values, probs, ["A"], "ignore")["A"]["threshold"] == pytest.approx(0.5)


def test_multiclass_top3_sensitivity_and_confusion_matrix():
    classes = ["A", "B", "C", "D"]
    probs = np.array([[0.7, 0.1, 0.1, 0.1],    # A -> A (top 1)
                      [0.1, 0.2, 0.3, 0.4],    # A -> D, A is 4th: not in top 3
                      [0.3, 0.4, 0.2, 0.1],    # C -> B, C is 3rd: in top 3
                      [0.1, 0.1, 0.1, 0.7]])   # D -> D
    truth = np.array([0, 0, 2, 3])
    report = multiclass_report("test", truth, probs, classes)
    assert report["top1_accuracy"] == 0.5 and report["top3_sensitivity"] == 0.75
    assert report["classes"]["A"]["top3_sensitivity"] == 0.5 and report["classes"]["C"]["top3_sensitivity"] == 1.0
    assert report["classes"]["B"]["top3_sensitivity"] is None  # no image of B in this split
    assert report["confusion_matrix"]["rows_true_columns_predicted"] == [[1, 0, 0, 1], [0, 0, 0, 0],
                                                                         [0, 1, 0, 0], [0, 0, 0, 1]]


def _chinese_curves() -> tuple[dict, dict]:
    rng = np.random.default_rng(0)
    y = (rng.random(40) < 0.5).astype(float)
    curves = {name: (y, np.ones(40, bool), rng.random(40)) for name in ("肺炎", "结节")}
    return curves, {name: {"auc": 0.5} for name in curves}


def _plot_all(folder, curves, per) -> list[str]:
    """Both plots of two splits; the glyph warnings matplotlib gave."""
    import warnings

    from cxrtrain.evaluation.metrics import plot_reliability, plot_rocs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for split in ("val", "test"):
            plot_rocs(folder / f"roc_{split}.png", split, curves, per)
            plot_reliability(folder / f"reliability_{split}.png", split, curves)
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_chinese_observation_names_are_drawn_with_an_installed_font(tmp_path, capsys):
    from cxrtrain.evaluation.metrics import font_with

    if font_with(frozenset("肺炎结节")) is None:
        pytest.skip("no installed font draws Chinese (Debian: fonts-noto-cjk)")
    assert _plot_all(tmp_path, *_chinese_curves()) == []
    assert capsys.readouterr().err == "" and (tmp_path / "roc_test.png").is_file()


def test_without_such_a_font_it_is_said_once_instead_of_a_warning_per_glyph(tmp_path, capsys, monkeypatch):
    from cxrtrain.evaluation import metrics

    monkeypatch.setattr(metrics, "font_with", lambda chars: None)
    metrics._no_font.cache_clear()
    assert _plot_all(tmp_path, *_chinese_curves()) == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no installed font draws 4 characters of the observation names" in err, err
