"""The rule language, on hand-built graphs (no parser needed)."""
import pytest

from cxrlabel.en.graph import Graph, Token
from cxrlabel.en.patterns import Matcher, PatternError, Scope, parse


def graph(spec):
    """spec: list of (text, head, dep, pos); lemma = lower-cased text."""
    tokens, pos = [], 0
    for i, (text, head, dep, tag) in enumerate(spec):
        tokens.append(Token(i, text, text.lower(), tag, tag, head, dep, pos, pos + len(text)))
        pos += len(text) + 1
    return Graph(" ".join(t[0] for t in spec), tokens)


# "No pneumothorax or effusion": no <-det- pneumothorax; or <-cc- effusion <-conj- pneumothorax
G = graph([("No", 1, "det", "DET"), ("pneumothorax", -1, "root", "NOUN"), ("or", 3, "cc", "CCONJ"),
           ("effusion", 1, "conj", "NOUN")])


def matches(pattern, g, mention, **kw):
    return Matcher(g, set(mention), **kw).match(parse(pattern), mention[0])


def test_child_parent_and_negated_relations():
    assert matches("{@} >det {lemma:no}", G, [1])
    assert not matches("{@} >det {lemma:no}", G, [3])
    assert matches("{@} <conj {}", G, [3])
    assert matches("{@} !>det {}", G, [3])
    assert not matches("{@} !>det {}", G, [1])


def test_self_or_ancestor_reaches_first_conjunct():
    assert matches("{@} <=conj ({} >det {lemma:no})", G, [3])
    assert matches("{@} <=conj ({} >det {lemma:no})", G, [1])


def test_self_or_ancestor_stops_at_but():
    g = graph([("No", 1, "det", "DET"), ("effusion", -1, "root", "NOUN"), ("but", 3, "cc", "CCONJ"),
               ("pneumothorax", 1, "conj", "NOUN")])
    assert not matches("{@} <=conj ({} >det {lemma:no})", g, [3], scope=Scope(frozenset({"but"})))


def test_descendant_ancestor_and_sibling():
    assert matches("{@} >> {lemma:or}", G, [1])
    assert matches("{@} << {lemma:pneumothorax}", G, [3])
    assert matches("{@} $ {lemma:no}", graph([("no", 2, "det", "DET"), ("x", 2, "amod", "ADJ"), ("y", -1, "root", "NOUN")]), [1])


def test_windows_respect_scope():
    g = graph([("no", -1, "", ""), ("effusion", -1, "", ""), ("but", -1, "", ""), ("edema", -1, "", "")])
    assert matches("{@} .<3 {lemma:no}", g, [3])
    assert not matches("{@} .<3 {lemma:no}", g, [3], scope=Scope(frozenset({"but"})))
    assert not matches("{@} .<1 {lemma:no}", g, [3])
    assert matches("{@} .>2 {lemma:edema}", g, [1])


def test_scope_stops_at_part_of_speech_unless_passed():
    g = graph([("no", 3, "det", "DET"), ("evidence", 3, "nmod", "NOUN"), ("of", 3, "case", "ADP"), ("edema", -1, "root", "NOUN")])
    assert not matches("{@} .<5 {lemma:no}", g, [3], scope=Scope(pos=frozenset({"ADP"})))
    assert matches("{@} .<5 {lemma:no}", g, [3], scope=Scope(pos=frozenset({"ADP"}), passes=frozenset({"of"})))


def test_attributes_regex_negation_and_observation():
    assert matches("{@;pos:NOUN} >det {lemma:/no|without/}", G, [1])
    assert not matches("{@;pos:!NOUN} >det {}", G, [1])
    m = Matcher(G, {1}, observation="Cardiomegaly")
    assert m.match(parse("{@;obs:/Cardio.*/}"), 1)
    assert not m.match(parse("{@;obs:Edema}"), 1)


@pytest.mark.parametrize("bad, message", [
    ("{} >det {lemma:no}", "must start with the mention"),
    ("{@} >det", "ends where a node was expected"),
    ("{@} >det {colour:red}", "cannot read node attribute"),
    ("{@} >det ({lemma:no}", "not closed"),
    ("{@} ~~ {}", "unexpected text"),
])
def test_parse_errors_say_where(bad, message):
    with pytest.raises(PatternError, match=message):
        parse(bad, "neg.txt:7")


def test_relations_in_a_row_all_belong_to_the_first_node_as_in_semgrex():
    """`A >x B !>y C` relates both to A: "opacity may represent pneumonia" is not a hedged subject,
    because the hedged predicate has an object."""
    g = graph([("opacity", 2, "nsubj", "NOUN"), ("may", 2, "aux", "AUX"), ("represent", -1, "root", "VERB"),
               ("pneumonia", 2, "obj", "NOUN")])
    hedged_subject = "{@} <nsubj ({} >aux {lemma:may} !>obj {})"
    assert not matches(hedged_subject, g, [0])
    g2 = graph([("pneumonia", 2, "nsubj", "NOUN"), ("may", 2, "aux", "AUX"), ("present", -1, "root", "ADJ")])
    assert matches(hedged_subject, g2, [0])
    # a parenthesised group keeps its own relations: here obj hangs off "may", which has none
    assert matches("{@} <nsubj ({} >aux ({lemma:may} !>obj {}))", g, [0])
