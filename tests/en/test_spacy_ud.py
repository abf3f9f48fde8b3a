"""spaCy's ClearNLP-style labels converted to Universal Dependencies."""
import pytest

pytestmark = pytest.mark.usefixtures("spacy_model")


@pytest.fixture(scope="module")
def parse():
    from cxrlabel.en.parsers import load_parser

    parser = load_parser("spacy")
    return lambda s: parser.parse([s])[0]


def edges(g):
    return {(t.text, t.dep, g.tokens[t.head].text if t.head >= 0 else "ROOT") for t in g.tokens}


def test_preposition_becomes_case_under_its_object(parse):
    e = edges(parse("There is no evidence of pneumothorax."))
    assert ("of", "case", "pneumothorax") in e and ("pneumothorax", "nmod", "evidence") in e
    assert ("no", "det", "evidence") in e


def test_copula_hands_its_place_to_the_predicate(parse):
    e = edges(parse("Heart size is normal."))
    assert ("normal", "root", "ROOT") in e and ("is", "cop", "normal") in e and ("size", "nsubj", "normal") in e


def test_copula_with_prepositional_predicate(parse):
    e = edges(parse("The cardiomediastinal silhouette is within normal limits."))
    assert ("silhouette", "nsubj", "limits") in e and ("within", "case", "limits") in e


def test_existential_there_keeps_be(parse):
    e = edges(parse("There is a small effusion."))
    assert ("effusion", "nsubj", "is") in e and ("There", "expl", "is") in e


def test_neg_becomes_advmod_and_passive_labels(parse):
    e = edges(parse("The heart is not enlarged."))
    assert ("not", "advmod", "enlarged") in e and ("heart", "nsubj:pass", "enlarged") in e


def test_cc_attaches_to_following_conjunct(parse):
    e = edges(parse("No pleural effusion or pneumothorax."))
    assert ("or", "cc", "pneumothorax") in e and ("pneumothorax", "conj", "effusion") in e


def test_list_items_mislabelled_as_appos_become_conjuncts(parse):
    g = parse("No focal pulmonary opacity, pleural effusion or pneumothorax.")
    assert ("effusion", "conj", "opacity") in edges(g)


def test_graph_offsets_index_the_sentence(parse):
    g = parse("No acute fracture.")
    assert all(g.text[t.start:t.end] == t.text for t in g.tokens)
