"""Label parity between parser backends on corpora/en: the gold, and sentence-by-sentence diffs."""
from __future__ import annotations

import pandas as pd

from cxrlabel.en.lexicon import CHEXPERT
from tests.conftest import ROOT

CORPUS = ROOT / "corpora" / "en"


def bank_sentences() -> list[str]:
    """The hand-annotated sentences the corpus reports are composed from."""
    lines = (CORPUS / "sentence_bank.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("|", 1)[1].strip() for line in lines if line.strip() and not line.startswith("#")]


def gold_mismatches(labeler) -> list[str]:
    """Reports of corpora/en whose labels differ from the gold, as readable lines."""
    reports = pd.read_csv(CORPUS / "reports.csv", dtype=str, keep_default_na=False)
    gold = pd.read_csv(CORPUS / "gold.csv", dtype={"id": str}).set_index("id")
    out = []
    for rid, result in zip(reports["id"], labeler.label(reports["report"].tolist())):
        for obs in CHEXPERT:
            want = gold.at[rid, obs]
            want = None if pd.isna(want) else float(want)
            if result.labels[obs] != want:
                out.append(f"{rid} {obs}: gold {want}, got {result.labels[obs]}")
    return out


def sentence_diff(labeler, reference, sentences: list[str]) -> list[str]:
    """Sentences that two labelers label differently, with both label sets."""
    out = []
    for sentence, a, b in zip(sentences, labeler.label(sentences), reference.label(sentences)):
        if a.labels != b.labels:
            changed = {o: (b.labels[o], a.labels[o]) for o in a.labels if a.labels[o] != b.labels[o]}
            out.append(f"{sentence!r}: {changed} (reference, backend)")
    return out
