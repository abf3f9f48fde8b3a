"""stanza and BLLIP backends, CoreNLP conversion and `cxrlabel parsers`.

No stanza or BLLIP model can be had on the build machines, so the steps that need one skip with the
reason; the option plumbing, the clear errors and every conversion step after parsing run always.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import socket
import sys
import types

import pytest

from cxrlabel.cli import main
from cxrlabel.errors import UserError
from cxrlabel.en.parsers import load_parser
from cxrlabel.en.parsers.conllu import read_conllu
from cxrlabel.en.parsers.ptb_tokenize import ptb_form, tokenize
from cxrlabel.en.labeler import LabelerConfig, Pipeline
from tests.en.backend_parity import bank_sentences, gold_mismatches, sentence_diff


@pytest.fixture
def no_network(monkeypatch):
    """Any socket creation fails, as on a hospital machine without internet."""
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def edges(graph):
    return {(t.text, t.dep, graph.tokens[t.head].text if t.head >= 0 else "ROOT") for t in graph.tokens}


# --- PTB tokenisation shared by stanza and BLLIP ---------------------------------------------------

def test_ptb_tokens_keep_offsets_into_the_sentence():
    sentence = 'No "mild" effusion (left) isn\'t seen.'
    toks = tokenize(sentence)
    assert [w for w, _, _ in toks] == ["No", '"', "mild", '"', "effusion", "(", "left", ")", "is", "n't", "seen", "."]
    assert all(sentence[s:e] == w for w, s, e in toks)
    assert [ptb_form(w) for w, _, _ in toks][5:8] == ["-LRB-", "left", "-RRB-"]


# --- stanza ----------------------------------------------------------------------------------------

def stanza_sentence(rows):
    pytest.importorskip("stanza", reason="stanza is not installed (pip install 'cxrlabel[stanza]')")
    from stanza.models.common.doc import Document

    keys = ("id", "text", "lemma", "upos", "xpos", "head", "deprel")
    return Document([[dict(zip(keys, row)) for row in rows]]).sentences[0]


def test_stanza_words_become_our_graph_with_offsets():
    from cxrlabel.en.parsers.stanza_backend import to_graph

    sentence = "The heart is not enlarged."
    rows = [(1, "The", "the", "DET", "DT", 2, "det"), (2, "heart", "heart", "NOUN", "NN", 5, "nsubj:pass"),
            (3, "is", "be", "AUX", "VBZ", 5, "aux:pass"), (4, "not", "not", "PART", "RB", 5, "advmod"),
            (5, "enlarged", "enlarge", "VERB", "VBN", 0, "root"), (6, ".", ".", "PUNCT", ".", 5, "punct")]
    toks = tokenize(sentence)
    graph = to_graph(sentence, [(s, e) for _, s, e in toks], stanza_sentence(rows).words)
    assert ("heart", "nsubj:pass", "enlarged") in edges(graph) and ("not", "advmod", "enlarged") in edges(graph)
    assert [t.head for t in graph.tokens].count(-1) == 1
    assert all(graph.text[t.start:t.end] == t.text for t in graph.tokens)
    assert graph.tokens[4].lemma == "enlarge" and graph.tokens[4].tag == "VBN"


def test_stanza_graph_goes_through_our_rules():
    """The rules are written once against UD: a stanza-shaped parse of 'No pneumothorax.' negates it."""
    from cxrlabel.en.classify import classify
    from cxrlabel.en.parsers.stanza_backend import to_graph
    from cxrlabel.resources import rules_dir
    from cxrlabel.en import ruleset

    rows = [(1, "No", "no", "DET", "DT", 2, "det"), (2, "pneumothorax", "pneumothorax", "NOUN", "NN", 0, "root"),
            (3, ".", ".", "PUNCT", ".", 2, "punct")]
    graph = to_graph("No pneumothorax.", [(0, 2), (3, 15), (15, 16)], stanza_sentence(rows).words)
    value, rule = classify(graph, [1], ruleset.load(rules_dir() / "en"), "Pneumothorax")
    assert value == 0.0 and rule.startswith("neg.")


needs_stanza = pytest.mark.skipif(importlib.util.find_spec("stanza") is None,
                                  reason="stanza is not installed (pip install 'cxrlabel[stanza]')")


@needs_stanza
def test_stanza_without_a_model_names_the_fetch_command_and_the_option(tmp_path, no_network):
    with pytest.raises(UserError) as err:
        load_parser("stanza", stanza_dir=str(tmp_path))
    message = str(err.value)
    assert "stanza.download('en'" in message and "package='mimic'" in message
    assert "--stanza-dir" in message and "STANZA_RESOURCES_DIR" in message and str(tmp_path) in message


@needs_stanza
def test_stanza_dir_comes_from_the_environment(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path / "from-env"))
    with pytest.raises(UserError, match="from-env"):
        load_parser("stanza")


@needs_stanza
def test_stanza_partial_model_folder_fails_clearly_without_downloading(tmp_path, no_network):
    """A resources.json that names a parser whose files are missing: stanza fails, we explain."""
    resources = {"en": {"packages": {"mimic": {"tokenize": "mimic", "pos": "mimic_charlm", "lemma": "mimic_nocharlm",
                                               "depparse": "mimic_charlm"}},
                        "default_processors": {"tokenize": "combined", "depparse": "combined_charlm"}}}
    (tmp_path / "resources.json").write_text(json.dumps(resources))
    from cxrlabel.en.parsers.stanza_backend import installed_packages

    assert installed_packages(tmp_path) == []
    (tmp_path / "en" / "depparse").mkdir(parents=True)
    (tmp_path / "en" / "depparse" / "mimic_charlm.pt").write_bytes(b"not a model")
    assert installed_packages(tmp_path) == ["mimic"]
    with pytest.raises(UserError, match="no stanza English parser model 'mimic'"):
        load_parser("stanza", stanza_dir=str(tmp_path), stanza_package="mimic")


@needs_stanza
def test_extract_with_stanza_and_no_model_is_one_clear_line(tmp_path, capsys, no_network):
    reports = tmp_path / "r.csv"
    reports.write_text("report\nNo pneumothorax.\n")
    code = main(["extract", str(reports), "--parser", "stanza", "--stanza-dir", str(tmp_path / "none"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "--stanza-dir" in err
    assert not (tmp_path / "r_labels.csv").exists()


class FlatPipeline:
    """Stands in for a loaded stanza.Pipeline (no model can be had here): records what it is given and
    answers with real stanza Documents whose words all hang off the last word, so the batching,
    pre-tokenised input and Document -> Graph steps around the model run for real."""

    def __init__(self):
        self.calls = []

    def __call__(self, sentences):
        from stanza.models.common.doc import Document

        self.calls.append(sentences)
        return Document([[{"id": i + 1, "text": w, "lemma": w.lower(), "upos": "X", "xpos": "XX",
                           "head": 0 if i == len(words) - 1 else len(words), "deprel": "root" if i == len(words) - 1 else "dep"}
                          for i, w in enumerate(words)] for words in sentences])


@needs_stanza
def test_stanza_parse_sends_our_pretokenised_sentences_in_batches():
    from cxrlabel.en.parsers.stanza_backend import StanzaParser

    parser = StanzaParser.__new__(StanzaParser)  # skip loading a model
    parser.nlp, parser.batch_size = FlatPipeline(), 2
    sentences = ["No effusion (left).", "Heart isn't enlarged.", "Lungs clear."]
    graphs = parser.parse(sentences)
    assert parser.nlp.calls == [[["No", "effusion", "(", "left", ")", "."], ["Heart", "is", "n't", "enlarged", "."]],
                                [["Lungs", "clear", "."]]]
    assert [g.text for g in graphs] == sentences
    assert all(g.text[t.start:t.end] == t.text for g in graphs for t in g.tokens)
    assert graphs[1].tokens[2].head == 4 and graphs[1].tokens[4].dep == "root"


def stanza_model_ready() -> bool:
    from cxrlabel.en.parsers.stanza_backend import installed_packages, resources_dir

    return importlib.util.find_spec("stanza") is not None and bool(installed_packages(resources_dir(None)))


needs_stanza_model = pytest.mark.skipif(not stanza_model_ready(), reason=(
    "no stanza English parser model in $STANZA_RESOURCES_DIR or ~/stanza_resources; models cannot be "
    "downloaded on this machine (see `cxrlabel parsers`)"))


@needs_stanza_model
def test_stanza_labels_on_corpus_equal_gold():
    labeler = Pipeline(LabelerConfig(parser="stanza"))
    assert gold_mismatches(labeler) == []


@needs_stanza_model
def test_stanza_and_spacy_agree_sentence_by_sentence(spacy_labeler):
    labeler = Pipeline(LabelerConfig(parser="stanza", sections="all"))
    assert sentence_diff(labeler, spacy_labeler, bank_sentences()) == []


# --- CoreNLP's converter ---------------------------------------------------------------------------

CONLLU = """# sent_id = 1
1\tNo\t_\tDT\tDT\t_\t2\tneg\t_\t_
2\tpneumothorax\t_\tNN\tNN\t_\t0\troot\t_\t_
3\t.\t_\t.\t.\t_\t2\tpunct\t_\t_

1\tLungs\t_\tNNS\tNNS\t_\t3\tnsubj\t_\t_
2-3\tare'\t_\t_\t_\t_\t_\t_\t_\t_
2\tare\t_\tVBP\tVBP\t_\t3\tcop\t_\t_
3\tclear\t_\tJJ\tJJ\t_\t0\troot\t_\t_
"""


def test_conllu_reader_skips_ranges_and_makes_heads_zero_based():
    first, second = read_conllu(CONLLU)
    assert [w.form for w in first] == ["No", "pneumothorax", "."] and first[1].head == -1 and first[0].head == 1
    assert [w.form for w in second] == ["Lungs", "are", "clear"]


def test_conllu_reader_names_the_bad_line():
    with pytest.raises(UserError, match="line 2"):
        read_conllu("1\tNo\t_\tDT\tDT\t_\t2\tdet\t_\t_\n2\tbad line\n")


def test_corenlp_needs_the_jar_and_java(tmp_path, monkeypatch):
    from cxrlabel.en.parsers import corenlp_convert

    with pytest.raises(UserError, match="no such file"):
        corenlp_convert.check(str(tmp_path / "missing.jar"))
    jar = tmp_path / "stanford-corenlp-4.5.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(UserError, match="needs java"):
        corenlp_convert.check(str(jar))
    assert corenlp_convert.command(str(jar), "t.mrg")[-3:] == [corenlp_convert.CONVERTER_CLASS, "-treeFile", "t.mrg"]
    monkeypatch.setenv("CORENLP_JAR", str(jar))
    assert corenlp_convert.jar_path(None) == str(jar)


# --- BLLIP -----------------------------------------------------------------------------------------

def test_bllip_not_installed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "bllipparser", None)  # import fails as if it were not installed
    with pytest.raises(UserError, match=r"pip install 'cxrlabel\[bllip\]'"):
        load_parser("bllip", bllip_model="/nowhere")


class ReplayingParser:
    """Stands in for bllipparser's compiled RerankingParser, which needs a model we cannot have here:
    it returns the tree we give for each token sequence, so everything around the parser is tested."""

    trees: dict[tuple[str, ...], str] = {}

    @classmethod
    def from_unified_model_dir(cls, path):
        return cls()

    def parse(self, words):
        tree = self.trees.get(tuple(words))
        if tree is None:
            raise ValueError("sentence too long")
        return [types.SimpleNamespace(ptb_parse=tree)]


@pytest.fixture
def bllip_stub(monkeypatch, tmp_path):
    module = types.ModuleType("bllipparser")
    module.RerankingParser = ReplayingParser
    module.__spec__ = importlib.machinery.ModuleSpec("bllipparser", None)
    monkeypatch.setitem(sys.modules, "bllipparser", module)
    model = tmp_path / "GENIA+PubMed"
    (model / "parser").mkdir(parents=True)
    (model / "reranker").mkdir()
    return model


def test_bllip_model_folder_from_option_or_environment(bllip_stub, monkeypatch, tmp_path):
    with pytest.raises(UserError, match="no BLLIP model given.*--bllip-model.*BLLIP_MODEL"):
        load_parser("bllip")
    with pytest.raises(UserError, match="not a BLLIP unified model folder"):
        load_parser("bllip", bllip_model=str(tmp_path))
    monkeypatch.setenv("BLLIP_MODEL", str(bllip_stub))
    assert load_parser("bllip").name == "bllip"


def test_bllip_tokens_trees_and_conversion(bllip_stub):
    ReplayingParser.trees = {
        ("No", "pleural", "effusion", "-LRB-", "left", "-RRB-", "."):
            "(S1 (NP (NP (DT No) (JJ pleural) (NN effusion)) (PRN (-LRB- -LRB-) (NN left) (-RRB- -RRB-)) (. .)))",
    }
    parser = load_parser("bllip", bllip_model=str(bllip_stub))
    sentence = "No pleural effusion (left)."
    parsed, unparsed = parser.parse([sentence, "A sentence the parser gives up on."])
    assert ("No", "det", "effusion") in edges(parsed) and ("pleural", "amod", "effusion") in edges(parsed)
    assert all(parsed.text[t.start:t.end] == t.text for t in parsed.tokens)
    assert not unparsed.parsed and parser.failures == 1  # kept, with the rule-only graph


needs_bllip_model = pytest.mark.skipif(not os.environ.get("BLLIP_MODEL"), reason=(
    "no BLLIP model (set BLLIP_MODEL to a GENIA+PubMed folder); models cannot be downloaded on this machine"))


@needs_bllip_model
def test_bllip_labels_on_corpus_equal_gold():
    pytest.importorskip("bllipparser", reason="bllipparser is not installed (pip install 'cxrlabel[bllip]')")
    assert gold_mismatches(Pipeline(LabelerConfig(parser="bllip"))) == []


@needs_bllip_model
def test_bllip_and_spacy_agree_sentence_by_sentence(spacy_labeler):
    pytest.importorskip("bllipparser", reason="bllipparser is not installed (pip install 'cxrlabel[bllip]')")
    labeler = Pipeline(LabelerConfig(parser="bllip", sections="all"))
    assert sentence_diff(labeler, spacy_labeler, bank_sentences()) == []


# --- cxrlabel parsers ------------------------------------------------------------------------------

def test_parsers_command_lists_every_backend(tmp_path, capsys):
    assert main(["parsers", "--stanza-dir", str(tmp_path), "--bllip-model", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("spacy", "stanza", "bllip", "ptb", "none"):
        assert f"\n{name} " in out
    assert str(tmp_path) in out and "NOT FOUND" in out


def test_parsers_json_says_what_is_ready(tmp_path, capsys, bllip_stub):
    assert main(["parsers", "--json", "--stanza-dir", str(tmp_path), "--bllip-model", str(bllip_stub)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["stanza"]["installed"] and not rows["stanza"]["ready"]
    assert rows["bllip"]["model_found"] == str(bllip_stub)
    assert rows["none"]["ready"] and rows["ptb"]["ready"]


# --- every backend parses only the sentences that hold a mention ----------------------------------

class RecordingParser:
    """Wraps a backend and records what it was asked to parse."""

    def __init__(self, inner):
        self.inner, self.name, self.asked = inner, inner.name, []

    def parse(self, sentences):
        self.asked.extend(sentences)
        return self.inner.parse(sentences)

    def __getattr__(self, name):  # reads_trees, words_bound, read and forget: the wrapped backend's
        return getattr(self.inner, name)


@pytest.mark.parametrize("backend", ["none", "ptb", "bllip"])
def test_only_sentences_with_a_mention_reach_the_parser(backend, request):
    if backend == "bllip":
        request.getfixturevalue("bllip_stub")
        ReplayingParser.trees = {("Small", "left", "effusion", "."):
                                 "(S1 (NP (JJ Small) (JJ left) (NN effusion) (. .)))"}
        labeler = Pipeline(LabelerConfig(parser="bllip", sections="all",
                                        bllip_model=str(request.getfixturevalue("bllip_stub"))))
        report = "Small left effusion. The patient is a smoker. Follow-up advised."
    elif backend == "ptb":
        labeler = Pipeline(LabelerConfig(parser="ptb"))
        report = ("(ROOT (NP (JJ Small) (JJ left) (NN effusion) (. .)))"
                  "(ROOT (S (NP (DT The) (NN patient)) (VP (VBZ is) (NP (DT a) (NN smoker))) (. .)))")
    else:
        labeler = Pipeline(LabelerConfig(parser=backend, sections="all"))
        report = "Small left effusion. The patient is a smoker. Follow-up advised."
    labeler.parser = RecordingParser(labeler.parser)
    result = labeler.label([report])[0]
    assert result.labels["Pleural Effusion"] == 1.0
    assert labeler.parser.asked == ["Small left effusion."]


def test_spacy_labels_on_corpus_equal_gold(spacy_labeler):
    """The default backend's labels equal corpora/en's gold exactly, report by report."""
    assert gold_mismatches(Pipeline(LabelerConfig(parser="spacy"))) == []


# --- what every backend states to the labeller -------------------------------------------------------

def test_every_backend_states_whether_it_reads_trees_and_has_each_step_of_the_protocol():
    from cxrlabel.en.parsers import BaseParser
    from cxrlabel.en.parsers.bllip_backend import BllipParser
    from cxrlabel.en.parsers.ptb_input import PTBInput
    from cxrlabel.en.parsers.spacy_backend import SpacyParser
    from cxrlabel.en.parsers.stanza_backend import StanzaParser
    from cxrlabel.en.parsers.surface import SurfaceParser

    backends = {"spacy": SpacyParser, "stanza": StanzaParser, "bllip": BllipParser, "ptb": PTBInput, "none": SurfaceParser}
    for name, backend in backends.items():
        assert issubclass(backend, BaseParser) and backend.name == name
        assert "reads_trees" in vars(backend), f"{name} should say whether its cells hold trees"
        assert backend.reads_trees == (name == "ptb")
    surface = SurfaceParser()
    assert surface.words_bound("No effusion.") is None  # cannot tell without parsing: every sentence is parsed
    assert surface.forget() is None
    with pytest.raises(TypeError, match="not bracketed trees"):
        surface.read("(ROOT (NP (NN effusion)))")


def test_ptb_input_reads_a_cell_parses_by_lookup_and_forgets_after_the_batch():
    parser = load_parser("ptb")
    text, spans = parser.read("(ROOT (NP (DT No) (NN effusion) (. .)))(ROOT (NP (NN Cardiomegaly) (. .)))")
    assert text == "No effusion. Cardiomegaly." and [text[s:e] for s, e in spans] == ["No effusion.", "Cardiomegaly."]
    assert [t.text for t in parser.parse(["No effusion."])[0].tokens] == ["No", "effusion", "."]
    assert parser.words_bound("No effusion.") is None
    parser.forget()
    with pytest.raises(KeyError):
        parser.parse(["No effusion."])
