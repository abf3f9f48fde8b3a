"""The spaCy backend without spaCy's private helper: should `spacy.tokens._retokenize.set_token_attrs`
move or be renamed, the TokenAnnotator puts attribute sets on tokens through the attribute ruler's
public `set_annotations`, and every annotation, graph and label stays as the fast path gives it."""
from __future__ import annotations

import importlib.util
import sys

import pandas as pd
import pytest

from tests.conftest import ROOT, spacy_required
from tests.en.test_spacy_shortcuts import TRICKY

needs_model = pytest.mark.usefixtures("spacy_model")


@pytest.fixture(scope="module")
def unremembering_labeler():
    """A labeller with no sentence memory: every sentence of every call is analysed and maybe parsed."""
    spacy_required()
    from cxrlabel.en.labeler import LabelerConfig, Pipeline

    return Pipeline(LabelerConfig(parser="spacy", sections="all"), cache_limit=0)


def public_route_annotator(monkeypatch, ruler, lemmatizer):
    """A TokenAnnotator made as if the private helper could not be imported."""
    from cxrlabel.en.parsers import spacy_attributes

    monkeypatch.setattr(spacy_attributes, "set_token_attrs", None)
    annotator = spacy_attributes.token_annotator(ruler, lemmatizer)
    assert annotator.set_attrs == annotator._set_attrs_through_ruler
    return annotator


def test_a_spacy_without_the_private_helper_still_loads_the_annotator(monkeypatch):
    """The import itself fails (a None in sys.modules stops it): the module loads and takes the public route."""
    from cxrlabel.en.parsers import spacy_attributes

    monkeypatch.setitem(sys.modules, "spacy.tokens._retokenize", None)
    spec = importlib.util.spec_from_file_location("cxrlabel.en.parsers._spacy_attributes_without_helper",
                                                  spacy_attributes.__file__)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    assert probe.set_token_attrs is None

    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "no"}]], {"LEMMA": "none"})
    annotator = probe.token_annotator(ruler, None)
    assert annotator.set_attrs == annotator._set_attrs_through_ruler
    assert [lemma for _, _, lemma, _ in annotator(nlp.make_doc("No, no effusion"))] == ["none", "", "none", ""]


def test_public_route_sets_what_spacys_ruler_sets_wherever_the_pattern_points(monkeypatch):
    """Patterns pointing at their first, second and (counted from the end) last token, on a blank pipeline."""
    import spacy

    from cxrlabel.en.parsers.spacy_attributes import token_annotator

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "gon"}, {"LOWER": "na"}]], {"LEMMA": "go"}, index=0)
    ruler.add([[{"LOWER": "gon"}, {"LOWER": "na"}]], {"LEMMA": "to"}, index=1)
    ruler.add([[{"LOWER": "a"}, {"LOWER": "b"}, {"LOWER": "c"}]], {"LEMMA": "last", "TAG": "X"}, index=-1)
    ruler.add([[{"LOWER": "a"}, {"LOWER": "b"}, {"LOWER": "c"}]], {"LEMMA": "middle"}, index=-2)
    ruler.add([[{"LOWER": "c"}]], {"TAG": "Y"})
    text = "a b c gon na a b c d"
    fast = token_annotator(ruler, None)
    public = public_route_annotator(monkeypatch, ruler, None)
    spacy_own = [(t.tag_, t.pos_, t.lemma_, t.dep_) for t in ruler(nlp.make_doc(text))]
    assert fast(nlp.make_doc(text)) == spacy_own
    assert public(nlp.make_doc(text)) == spacy_own
    assert [lemma for _, _, lemma, _ in spacy_own] == ["", "middle", "last", "go", "to", "", "middle", "last", ""]


def sentences_to_check() -> list[str]:
    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv")["report"].fillna("").tolist()[:40]
    return TRICKY + [r for r in reports if r]


@needs_model
def test_public_route_gives_the_fast_paths_annotations_and_graphs(unremembering_labeler, monkeypatch):
    from cxrlabel.en.parsers.spacy_backend import convert

    parser = unremembering_labeler.parser
    assert parser.annotator is not None and parser.annotator.set_attrs == parser.annotator._set_attrs
    public = public_route_annotator(monkeypatch, parser.nlp.get_pipe("attribute_ruler"), parser.nlp.get_pipe("lemmatizer"))
    texts = sentences_to_check()
    fast_graphs = parser.parse(texts)
    for _ in range(2):  # the second time from the annotator's memory
        docs = parser.nlp.pipe(texts, disable=parser.skip)
        assert [convert(doc, text, public(doc)) for text, doc in zip(texts, docs)] == fast_graphs


@needs_model
def test_public_route_gives_the_fast_paths_labels_and_mentions(unremembering_labeler, monkeypatch):
    labeler, parser = unremembering_labeler, unremembering_labeler.parser
    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv")["report"].tolist()
    fast = labeler.label(reports)
    public = public_route_annotator(monkeypatch, parser.nlp.get_pipe("attribute_ruler"), parser.nlp.get_pipe("lemmatizer"))
    monkeypatch.setattr(parser, "annotator", public)
    through_ruler = labeler.label(reports)
    assert [(r.labels, r.mentions, r.decisions) for r in through_ruler] == [(r.labels, r.mentions, r.decisions) for r in fast]
