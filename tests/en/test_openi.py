"""Integration on 3,080 real Open-i reports in ../shared/data/openi_dev, when that folder exists."""
import pytest

from tests.conftest import SHARED

pytestmark = pytest.mark.skipif(not (SHARED / "openi_dev").exists(), reason="../shared/data/openi_dev is absent")


def test_open_i_positive_f1(spacy_labeler):
    from bench.openi import evaluate_openi

    result = evaluate_openi("spacy", "all", "broad")
    scores = result["per"]["uncertain_as_negative"]
    macro = sum(s["f1"] for s in scores.values()) / len(scores)
    assert result["reports"] == 2987
    assert macro >= 0.80, {k: round(v["f1"], 3) for k, v in scores.items()}
