"""Cluster and label quality on the shipped corpus, against its clause- and report-level gold labels.

Clusters are named by the majority gold label of their members, as a reviewer would; bars sit a
little under the measured values (`python -m bench.zh --corpus` prints them).
"""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.zh import gold_scores
from cxrlabel.zh.mine import MineSettings, mine


def adjusted_rand(a: pd.Series, b: pd.Series) -> float:
    """Hubert-Arabie adjusted Rand index from the contingency table."""
    table = pd.crosstab(a, b).to_numpy()
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    index = comb(table).sum()
    rows, cols = comb(table.sum(1)).sum(), comb(table.sum(0)).sum()
    expected = rows * cols / comb(table.sum())
    return float((index - expected) / ((rows + cols) / 2 - expected))


def test_adjusted_rand_helper():
    assert adjusted_rand(pd.Series([0, 0, 1, 1]), pd.Series([5, 5, 7, 7])) == pytest.approx(1.0)
    assert adjusted_rand(pd.Series([0, 0, 1, 1, 2, 2]), pd.Series([0, 1, 0, 1, 0, 1])) < 0


def _mine(corpus, preprocessor, settings):
    reports, _, clause_gold = corpus
    result = mine(reports["id"].tolist(), reports["诊断"].tolist(), settings, preprocessor)
    merged = result.clauses.merge(clause_gold, on=["id", "clause_no"], suffixes=("", "_gold"))
    return result, merged


def test_clauses_align_with_gold(corpus, pre):
    from cxrlabel.zh.normalize import to_halfwidth

    result, merged = _mine(corpus, pre, MineSettings(k=10))
    assert len(merged) >= 850
    assert (merged["clause"] == merged["clause_gold"].map(to_halfwidth)).all()


@pytest.mark.parametrize("settings, drop, ari_bar, f1_bar", [
    (MineSettings(k=10), True, 0.80, 0.95),  # the defaults: measured ARI 0.86, F1 0.972
    (MineSettings(k=10, guide=False), True, 0.45, 0.85),  # plain Levenshtein: 0.890
    (MineSettings(k=14, distance="tokens", guide=False), False, 0.30, 0.70),  # tokens: 0.752
])
def test_cluster_quality(corpus, pre, pre_nolat, settings, drop, ari_bar, f1_bar):
    preprocessor = pre_nolat if drop else pre
    result, merged = _mine(corpus, preprocessor, settings)
    reports, gold, clause_gold = corpus
    members = merged[(merged["cue"] != "normal") & ~merged["label"].isin(gold_scores.NO_FINDING_LABELS)]
    ari = adjusted_rand(members["label"], members["cluster_id"])
    assert ari >= ari_bar, f"ARI {ari:.3f} below {ari_bar}"
    out = gold_scores.predict(reports["诊断"].tolist(), preprocessor, result, settings,
                           gold_scores.majority_names(result, clause_gold))
    f1 = gold_scores.micro_f1(gold, out, preprocessor.data.chexpert_names)
    assert f1 >= f1_bar, f"label F1 {f1:.3f} below {f1_bar}"


@pytest.fixture(scope="module")
def default_labels(corpus, pre_nolat):
    reports, _, clause_gold = corpus
    settings = MineSettings(k=10)
    result, _ = _mine(corpus, pre_nolat, settings)
    names = gold_scores.majority_names(result, clause_gold)
    return lambda texts: gold_scores.predict(texts, pre_nolat, result, settings, names)


def test_negated_and_uncertain_values_reach_the_labels(corpus, pre_nolat, default_labels):
    reports, gold, _ = corpus
    out = default_labels(reports["诊断"].tolist())
    for value in (0.0, -1.0):
        f1 = gold_scores.micro_f1(gold.drop(columns="normal"), out, pre_nolat.data.chexpert_names, value)
        assert f1 >= 0.6, f"{value}: F1 {f1:.3f}"


def test_normal_descriptions_join_their_finding_with_value_zero(default_labels):
    out = default_labels(["心影不大", "心影增大", "两肺纹理清晰", "双肺纹理增多未见明确实变", "主动脉硬化、心影未见增大",
                          "心肺未见异常"])
    assert out.loc[0, "Cardiomegaly"] == 0.0 and out.loc[0, "No Finding"] == 1.0
    assert out.loc[1, "Cardiomegaly"] == 1.0 and pd.isna(out.loc[1, "No Finding"])
    assert out.loc[2, "lung_markings"] == 0.0 and out.loc[2, "No Finding"] == 1.0
    assert out.loc[3, "lung_markings"] == 1.0 and pd.isna(out.loc[3, "No Finding"])
    assert out.loc[4, "aortic_sclerosis"] == 1.0 and out.loc[4, "Cardiomegaly"] == 0.0
    assert out.loc[5, "No Finding"] == 1.0 and out.loc[5, "single_label"] == "No Finding"
