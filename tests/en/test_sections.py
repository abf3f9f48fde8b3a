"""Which parts of a report are labelled: header variants, sections kept out, and the impression-wins merge."""
import pytest

from cxrlabel.en import sections
from cxrlabel.en.labeler import LabelerConfig, Pipeline


def _texts(text, choice):
    return [text[s:e].strip() for s, e in sections.select(text, choice)]


def _kinds(text):
    return [kind for kind, _, _ in sections.split_sections(text)]


@pytest.fixture(scope="module")
def label():
    labelers = {}

    def run(text, choice):
        labeler = labelers.setdefault(choice, Pipeline(LabelerConfig(parser="none", sections=choice)))
        return labeler.label([text])[0]
    return run


@pytest.mark.parametrize("text", [
    "FINDINGS: Clear lungs. IMPRESSION: Cardiomegaly.",
    "findings: Clear lungs. conclusion: Cardiomegaly.",
    "Findings - Clear lungs.\nOpinion: Cardiomegaly.",
    "FINDINGS\nClear lungs.\nIMPRESSION\nCardiomegaly.",
    "Findings\nClear lungs.\nImpression:\nCardiomegaly.",
    "FINDINGS Clear lungs.\nIMPRESSION 1. Cardiomegaly.",
    "FINDINGS: Clear lungs IMPRESSION: Cardiomegaly.",  # capitals mid-line, no full stop before
])
def test_header_variants(text):
    assert _texts(text, "findings")[0].rstrip(".") == "Clear lungs"
    assert _texts(text, "impression")[0].endswith("Cardiomegaly.")


def test_findings_and_impression_is_one_section_of_both():
    text = "FINDINGS AND IMPRESSION: No pneumothorax."
    assert _kinds(text) == ["findings and impression"]
    assert _texts(text, "impression") == _texts(text, "findings") == ["No pneumothorax."]


@pytest.mark.parametrize("text", [
    "Findings consistent with edema.",  # prose at the start of a line, no colon
    "FINDINGS CONSISTENT WITH EDEMA.",  # a report in capitals
    "There is no history of trauma. Patient history: cough.",  # a name inside a sentence
    "Heart size normal. Impression is of mild edema.",
])
def test_prose_is_not_a_header(text):
    assert _kinds(text) == ["preamble"]


@pytest.mark.parametrize("header", ["INDICATION:", "History:", "CLINICAL HISTORY:", "Reason for exam:",
                                    "COMPARISON:", "Technique:", "REASON FOR EXAMINATION"])
def test_indication_history_comparison_technique_are_left_out(header, label):
    text = f"{header} rule out pneumonia\nFINDINGS: Clear lungs. No pneumothorax."
    for choice in ("pooled", "findings+impression"):
        assert _texts(text, choice) == ["Clear lungs. No pneumothorax."]
        assert label(text, choice).labels["Pneumonia"] is None


def test_unheaded_text_is_labelled():
    text = "Small left effusion."
    for choice in ("pooled", "findings+impression", "impression-or-all", "all"):
        assert _texts(text, choice) == [text]
    assert sections.select(text, "findings") == []


def test_impression_or_all_falls_back_to_the_whole_text():
    assert _texts("FINDINGS: Clear lungs. IMPRESSION: Cardiomegaly.", "impression-or-all") == ["Cardiomegaly."]
    assert _texts("Clear lungs.", "impression-or-all") == ["Clear lungs."]


def test_default_is_one_of_the_named_choices():
    text = "History: cough.\nFINDINGS: Clear lungs.\nIMPRESSION: Cardiomegaly."
    assert sections.DEFAULT in sections.SECTION_CHOICES and sections.DEFAULT != "default"
    assert sections.select(text) == sections.select(text, sections.DEFAULT)


REPORT = "FINDINGS: Small left pleural effusion. Mild cardiomegaly.\nIMPRESSION: No pleural effusion."


def test_impression_verdict_wins_and_findings_fill_in(label):
    merged = label(REPORT, "findings+impression")
    assert merged.labels["Pleural Effusion"] == 0.0  # positive in findings, negated in the impression
    assert merged.labels["Cardiomegaly"] == 1.0  # only in the findings
    assert ("Pleural Effusion", 0.0, "sections.impression_wins") in merged.decisions
    assert label(REPORT, "pooled").labels["Pleural Effusion"] == 1.0  # pooled: any positive wins


def test_impression_hedge_overrules_a_definite_finding(label):
    merged = label("FINDINGS: Left basilar atelectasis.\nIMPRESSION: Possible atelectasis.", "findings+impression")
    assert merged.labels["Atelectasis"] == -1.0
