"""The English corpus: accuracy against its gold, and a golden-output regression guard.

If a label on corpora/en changes on purpose, regenerate the golden file with
    CXRLABEL_UPDATE_GOLDEN=1 python -m pytest tests/en/test_corpus.py
and review the diff in git before committing it."""
import os

import pandas as pd
import pytest

from cxrlabel.evaluate import evaluate
from cxrlabel.lexicon import CHEXPERT
from tests.conftest import ROOT

CORPUS = ROOT / "corpora" / "en"
GOLDEN = ROOT / "tests" / "golden" / "en_labels_spacy.csv"


@pytest.fixture(scope="module")
def labels(spacy_labeler):
    from cxrlabel.pipeline import Labeler, LabelerConfig

    reports = pd.read_csv(CORPUS / "reports.csv", dtype=str, keep_default_na=False)
    labeler = Labeler(LabelerConfig(parser="spacy"))  # default sections, as `make demo` runs it
    results = labeler.label(reports["report"].tolist())
    frame = pd.DataFrame([r.labels for r in results], columns=list(CHEXPERT))
    frame.insert(0, "id", reports["id"])
    return frame


def test_corpus_covers_every_observation():
    gold = pd.read_csv(CORPUS / "gold.csv")
    assert len(gold) >= 150
    for obs in CHEXPERT:
        values = set(gold[obs].dropna())
        assert 1.0 in values, obs
        if obs != "No Finding":
            assert 0.0 in values, obs


def test_accuracy_against_gold(labels):
    gold = pd.read_csv(CORPUS / "gold.csv", dtype=str, keep_default_na=False)
    pred = labels.astype(object).where(labels.notna(), "")
    result = evaluate(pred.astype(str), gold, list(CHEXPERT), "pred", "gold")
    assert result["macro"]["weighted_f1"] >= 0.95, result["macro"]
    assert result["macro"]["mention"] >= 0.95 and result["macro"]["negation"] >= 0.95


def test_golden_output_unchanged(labels):
    if os.environ.get("CXRLABEL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        labels.to_csv(GOLDEN, index=False)
    golden = pd.read_csv(GOLDEN)
    current = pd.read_csv(pd.io.common.StringIO(labels.to_csv(index=False)))
    diff = [(golden.loc[i, "id"], c, golden.loc[i, c], current.loc[i, c])
            for c in CHEXPERT for i in range(len(golden))
            if not (pd.isna(golden.loc[i, c]) and pd.isna(current.loc[i, c])) and golden.loc[i, c] != current.loc[i, c]]
    assert len(golden) == len(current)
    assert not diff, f"labels changed on corpora/en (id, column, golden, now): {diff[:20]}"
