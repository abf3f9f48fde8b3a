"""Normalisation offsets and sentence splitting (sections: test_sections.py)."""
from cxrlabel.en import sections, sentences
from cxrlabel.en.normalize import normalize
from cxrlabel.resources import lexicons_dir

ABBREV = str(lexicons_dir() / "en" / "abbreviations.txt")
REPORT = "FINDINGS: Heart size is normal.\nImpression: 1. No pneumothorax 2. Small left effusion."


def _texts(text, spans):
    return [text[s:e] for s, e in spans]


def test_numbered_impression_splits_without_full_stops():
    spans = sections.select(REPORT, "impression")
    assert _texts(REPORT, sentences.split(REPORT, spans, ABBREV)) == ["No pneumothorax", "Small left effusion."]


def test_abbreviations_do_not_end_sentences():
    text = "Nodule approx. 2 cm at the rt. base. No effusion."
    assert _texts(text, sentences.split(text, [(0, len(text))], ABBREV)) == [
        "Nodule approx. 2 cm at the rt. base.", "No effusion."]


def test_normalisation_keeps_offsets_into_original():
    text = "Effusion AND/OR  Pneumo-thorax"
    norm = normalize(text, base=10)
    assert norm.words == ("effusion", "or", "pneumo", "thorax")
    start, end = norm.original_span(2, 3)
    assert (start, end) == (10 + text.index("Pneumo"), 10 + len(text))


def test_slash_between_words_is_or():
    assert normalize("atelectasis/scarring").words == ("atelectasis", "or", "scarring")
