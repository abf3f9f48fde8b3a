"""The spaCy backend's shortcuts give what the plain pipeline gives: the indexed, remembered ruler and
lemmatizer, the word bound that lets a sentence go unparsed, numpy's BLAS for the matrix products, and
the memoised Punkt decisions."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.en import sentences
from cxrlabel.resources import lexicons_dir
from tests.conftest import ROOT, SHARED, spacy_required

needs_model = pytest.mark.usefixtures("spacy_model")
ABBREVIATIONS = str(lexicons_dir() / "en" / "abbreviations.txt")
# Words the model's attribute ruler treats specially (contractions, pronouns, auxiliaries, spaces)
TRICKY = [
    "I ain't gonna say it's fine, let's see.",
    "Y'all got ta go, c'mon; nothin' here for 'em.",
    "He's been doing well; she'd had it, and we did it.",
    "There is no effusion.  Double  space.\n\nNew paragraph.",
    "That which was seen is not there; those are the ones that could've been.",
    "Something's wrong with them and nobody knows what it is, doesn't it?",
    "No pneumothorax w/o effusion, r/o pneumonia.",
]


def corpus_sentences() -> list[str]:
    texts = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv")["report"].fillna("").tolist()
    found = [t[s:e] for t in texts for s, e in sentences.split(t, [(0, len(t))], ABBREVIATIONS)]
    return TRICKY + list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def parser():
    spacy_required()
    from cxrlabel.en.parsers.spacy_backend import SpacyParser

    return SpacyParser()


@pytest.fixture(scope="module")
def unremembering_labeler():
    """A labeller with no sentence memory: every sentence of every call is analysed (and maybe parsed)."""
    spacy_required()
    from cxrlabel.en.labeler import LabelerConfig, Pipeline

    return Pipeline(LabelerConfig(parser="spacy", sections="all"), cache_limit=0)


@needs_model
def test_annotated_graphs_equal_the_full_spacy_pipelines(parser):
    """Tag, part of speech, lemma and relation of every word, and so every edge of the converted graph."""
    from cxrlabel.en.parsers.spacy_backend import convert

    assert parser.annotator is not None, "the shipped model's ruler should be indexable"
    texts = corpus_sentences()
    full = [convert(doc) for doc in parser.nlp.pipe(texts)]  # spaCy's own ruler and lemmatizer
    for _ in range(2):  # the second time, every word's result comes from the annotator's memory
        assert parser.parse(texts) == full


@needs_model
def test_matrix_products_through_numpy_give_the_graphs_blis_gives(parser):
    from thinc.api import NumpyOps

    from cxrlabel.en.parsers.spacy_backend import use_numpy_gemm

    layers = [node for _, c in parser.nlp.pipeline if getattr(c, "model", None) is not None for node in c.model.walk()]
    assert layers and all(not node.ops.use_blis for node in layers)
    texts = corpus_sentences()
    through_numpy = parser.parse(texts)
    blis = NumpyOps()
    try:
        for node in layers:
            node.ops = blis
        assert parser.parse(texts) == through_numpy
    finally:
        use_numpy_gemm(parser.nlp)


def test_ruler_with_patterns_beyond_the_index_is_left_to_spacy():
    import spacy

    from cxrlabel.en.parsers.spacy_attributes import token_annotator

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "no"}]], {"LEMMA": "no"})
    assert token_annotator(ruler, None) is not None
    ruler.add([[{"LOWER": "x", "OP": "+"}]], {"LEMMA": "x"})  # an operator: not something the index reads
    assert token_annotator(ruler, None) is None


@needs_model
def test_word_bound_holds_every_word_and_lemma_of_the_parse(parser):
    texts = corpus_sentences()
    openi = SHARED / "openi_dev" / "openi_dev_gold_strict.csv"
    if openi.exists():  # the real reports, where present
        reports = pd.read_csv(openi)["report_text"].fillna("").tolist()[:600]
        texts += [r[s:e] for r in reports for s, e in sentences.split(r, [(0, len(r))], ABBREVIATIONS)]
    for text, graph in zip(texts, parser.parse(texts)):
        missing = graph.vocabulary - parser.words_bound(text)
        assert not missing, (text, missing)


def recorded_parses(labeler, monkeypatch) -> list[str]:
    """The sentences the labeller sends to its parser from now on, in order."""
    parsed: list[str] = []
    parse = labeler.parser.parse
    monkeypatch.setattr(labeler.parser, "parse", lambda s: parsed.extend(s) or parse(s))
    return parsed


@needs_model
def test_sentences_no_rule_could_touch_are_not_parsed_and_keep_their_labels(unremembering_labeler, monkeypatch):
    parsed = recorded_parses(unremembering_labeler, monkeypatch)
    result = unremembering_labeler.label(["Cardiomegaly. No pleural effusion. Possible pneumonia."])[0]
    assert parsed == ["No pleural effusion.", "Possible pneumonia."]
    assert (result.labels["Cardiomegaly"], result.labels["Pleural Effusion"], result.labels["Pneumonia"]) == (1.0, 0.0, -1.0)


@needs_model
def test_rules_kept_to_other_observations_do_not_send_a_sentence_to_the_parser(unremembering_labeler, monkeypatch):
    """"stable" is a cue word only of rules whose `obs:` leaves Cardiomegaly out."""
    parsed = recorded_parses(unremembering_labeler, monkeypatch)
    result = unremembering_labeler.label(["Stable moderate cardiomegaly. Stable left pleural effusion."])[0]
    assert parsed == []
    assert (result.labels["Cardiomegaly"], result.labels["Pleural Effusion"]) == (1.0, 1.0)


@needs_model
def test_parsed_text_is_tokenized_once_and_parses_as_the_text_does(parser):
    texts = corpus_sentences()
    parser.forget()
    for text in texts:
        parser.words_bound(text)
    assert list(parser.tokenized) == list(dict.fromkeys(texts))  # the Docs the bound was read from
    assert parser.parse(texts) == [g for text in texts for g in parser.parse([text])]
    parser.forget()
    assert not parser.tokenized


@needs_model
def test_labels_and_mentions_are_the_same_with_every_sentence_parsed(unremembering_labeler, monkeypatch):
    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv")["report"].tolist()
    shortcut = unremembering_labeler.label(reports)
    monkeypatch.setattr(unremembering_labeler.parser, "word_bound", None)  # words_bound: None, "cannot tell"
    parsed_all = unremembering_labeler.label(reports)
    assert [(r.labels, r.mentions) for r in shortcut] == [(r.labels, r.mentions) for r in parsed_all]


def test_memoised_punkt_splits_as_punkt_does():
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    memo = sentences.tokenizer(ABBREVIATIONS)
    plain = PunktSentenceTokenizer(memo._params)
    texts = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv")["report"].fillna("").tolist() + TRICKY
    for _ in range(2):  # the second pass is answered from the memo
        assert [list(memo.span_tokenize(t)) for t in texts] == [list(plain.span_tokenize(t)) for t in texts]
    assert memo._decisions


def test_cue_index_agrees_with_each_rule():
    import random

    from cxrlabel.en import ruleset
    from cxrlabel.resources import rules_dir

    rules = [r for stage in ruleset.load(rules_dir() / "en").stages.values() for r in stage]
    index = ruleset.CueIndex(rules)
    words = sorted({w for r in rules for group in r.requires for w in group}) + ["lung", "the", "is"]
    rng = random.Random(0)
    for _ in range(2000):
        sample = set(rng.sample(words, rng.randint(0, 6)))
        assert index.any_possible(sample) == any(r.possible(sample) for r in rules), sample


def test_cue_index_given_observations_agrees_with_each_rule():
    import random

    from cxrlabel.en import ruleset
    from cxrlabel.en.lexicon import CHEXPERT
    from cxrlabel.resources import rules_dir

    rules = [r for stage in ruleset.load(rules_dir() / "en").stages.values() for r in stage]
    assert any(not r.admits("Cardiomegaly") for r in rules) and any(not r.admits("Support Devices") for r in rules)
    index = ruleset.CueIndex(rules)
    words = sorted({w for r in rules for group in r.requires for w in group}) + ["lung", "the", "is"]
    rng = random.Random(0)
    for _ in range(2000):
        sample, seen = set(rng.sample(words, rng.randint(0, 6))), frozenset(rng.sample(CHEXPERT, rng.randint(1, 3)))
        expected = any(r.possible(sample) and any(map(r.admits, seen)) for r in rules)
        assert index.any_possible(sample, seen) == expected, (sample, seen)


def test_escaped_slash_is_a_plain_word_in_rule_cues():
    from cxrlabel.en.patterns import parse, required_words

    assert required_words(parse(r"{@} >case {lemma:/without|w\/o/}")) == [frozenset({"without", "w/o"})]


def test_escaped_question_mark_is_a_cue_word_and_a_bare_one_a_quantifier():
    from cxrlabel.en.patterns import parse, required_words

    assert required_words(parse(r"{@} .>4 {word:/\?/}")) == [frozenset({"?"})]
    assert required_words(parse(r"{@} .>4 {word:/tumou?r/}")) == []  # matches tumor and tumour: no plain word



def test_escaped_full_stop_is_a_cue_word_and_a_bare_one_any_character():
    """"vs." is one spaCy token: the versus rules name it as a plain cue word, so they stay skippable."""
    from cxrlabel.en.patterns import parse, required_words

    assert required_words(parse(r"{@} >case {lemma:/versus|vs|vs\./}")) == [frozenset({"versus", "vs", "vs."})]
    assert required_words(parse(r"{@} >case {lemma:/v.s/}")) == []  # matches "vas" and "v.s": no plain word

def test_question_mark_rule_needs_a_question_mark_to_be_tried():
    from cxrlabel.en import ruleset
    from cxrlabel.resources import rules_dir

    rule = next(r for r in ruleset.load(rules_dir() / "en").stages["post_negation_uncertainty"]
                if r.id == "unc.question_mark")
    assert rule.mode == "any"
    assert not rule.possible({"pneumothorax", "."}) and rule.possible({"pneumothorax", "?"})
