"""`--parser ptb` on hand-written trees of every sentence in corpora/en's bank: the labels equal the
bank's gold, and equal what the default spaCy backend gives for the same sentences."""
from __future__ import annotations

import importlib.util

import pytest

from cxrlabel.en.labeler import LabelerConfig, Pipeline
from tests.conftest import ROOT

BANK = ROOT / "corpora" / "en"


def load_bank():
    spec = importlib.util.spec_from_file_location("build_corpus", BANK / "build_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trees() -> list[str]:
    lines = (BANK / "sentence_bank.mrg").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def ptb_results():
    return Pipeline(LabelerConfig(parser="ptb")).label(trees())


def test_one_tree_per_bank_sentence_with_the_same_words(ptb_results):
    bank = load_bank().read_bank()
    assert len(ptb_results) == len(bank)
    for result, (_, sentence) in zip(ptb_results, bank):
        assert result.text.replace(" ", "") == sentence.replace(" ", ""), sentence


def test_ptb_labels_equal_the_bank_gold(ptb_results):
    module = load_bank()
    wrong = []
    for result, (labels, sentence) in zip(ptb_results, module.read_bank()):
        want = module.gold([labels])
        got = {c: result.labels[c] for c in module.COLUMNS}
        if got != want:
            wrong.append(f"{sentence!r}: " + ", ".join(f"{c} gold {want[c]} got {got[c]}"
                                                        for c in module.COLUMNS if got[c] != want[c]))
    assert wrong == [], "\n".join(wrong)


def test_ptb_and_spacy_agree_sentence_by_sentence(ptb_results, spacy_labeler):
    texts = [sentence for _, sentence in load_bank().read_bank()]
    diff = [f"{t!r}: spacy {dict((o, v) for o, v in s.labels.items() if v != p.labels[o])} "
            f"ptb {dict((o, v) for o, v in p.labels.items() if v != s.labels[o])}"
            for t, p, s in zip(texts, ptb_results, spacy_labeler.label(texts)) if p.labels != s.labels]
    assert diff == [], "\n".join(diff)
