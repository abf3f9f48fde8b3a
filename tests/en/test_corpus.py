"""The English corpus: accuracy against its gold, and golden outputs that make any change of labels or of
deciding rules on corpora/en fail with the differences listed.

The golden files (tests/golden/en_labels_<parser>.csv, en_mentions_<parser>.csv, for spacy and none) hold
what `cxrlabel extract --mentions-out` writes for corpora/en/reports.csv. After a rule or lexicon change
that is meant to move them, rewrite all of them with
    python -m tests.golden.regenerate
and review `git diff tests/golden` before committing it.

Without the spaCy model the spaCy tests skip, saying how to install it, except in CI (tests/conftest.py)."""
from __future__ import annotations

import difflib
import io
from functools import cache

import pandas as pd
import pytest

from cxrlabel.scoring import score_labels
from cxrlabel.en.lexicon import CHEXPERT
import tests.conftest
from tests.conftest import ROOT, spacy_required
from tests.golden.regenerate import COMMAND, GOLDEN, PARSERS, labels_file, mentions_file, outputs

CORPUS = ROOT / "corpora" / "en"
SHOWN = 30  # differences listed in a failure


@pytest.fixture(scope="module", params=PARSERS)
def parser(request: pytest.FixtureRequest) -> str:
    if request.param == "spacy":
        spacy_required()
    return request.param


@cache
def produced(parser: str) -> dict[str, str]:
    return outputs(parser)


def table(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def golden(name: str) -> str:
    path = GOLDEN / name
    assert path.exists(), f"tests/golden/{name} is missing; write it with: {COMMAND}"
    return path.read_text(encoding="utf-8")


def failure(what: str, name: str, differences: list[str]) -> str:
    return (f"{len(differences)} {what} differ from tests/golden/{name}; the first {min(SHOWN, len(differences))}:\n"
            + "\n".join(differences[:SHOWN])
            + f"\nif the change is meant, run `{COMMAND}` and review `git diff tests/golden`")


def test_corpus_covers_every_observation():
    gold = pd.read_csv(CORPUS / "gold.csv")
    assert len(gold) >= 150
    for obs in CHEXPERT:
        values = set(gold[obs].dropna())
        assert 1.0 in values, obs
        if obs != "No Finding":
            assert 0.0 in values, obs


def test_accuracy_against_gold():
    spacy_required()
    gold = pd.read_csv(CORPUS / "gold.csv", dtype=str, keep_default_na=False)
    pred = table(produced("spacy")[labels_file("spacy")])  # default sections, as `make demo` runs it
    result = score_labels(pred, gold, list(CHEXPERT), "pred", "gold")
    assert result["macro"]["weighted_f1"] >= 0.95, result["macro"]
    assert result["macro"]["mention"] >= 0.95 and result["macro"]["negation"] >= 0.95


def test_labels_equal_the_golden_file(parser):
    name = labels_file(parser)
    was, now = table(golden(name)), table(produced(parser)[name])
    assert was["id"].tolist() == now["id"].tolist(), f"the reports differ from tests/golden/{name}"
    differences = [f"{report} {column}: {before or 'blank'} -> {after or 'blank'}"
                   for column in CHEXPERT
                   for report, before, after in zip(was["id"], was[column], now[column]) if before != after]
    assert not differences, failure(f"--parser {parser} labels (report, observation: golden -> now)", name, differences)


def test_deciding_rules_equal_the_golden_file(parser):
    name = mentions_file(parser)
    lines = difflib.unified_diff(golden(name).splitlines(), produced(parser)[name].splitlines(), lineterm="", n=0)
    differences = [line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert not differences, failure(f"--parser {parser} mention rows (- golden, + now; "
                                    "report,observation,kind,phrase,start,label,rule)", name, differences)


def test_a_missing_spacy_model_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(tests.conftest, "spacy_model_available", lambda: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no spaCy English model"):
        spacy_required()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="install it with"):
        spacy_required()
