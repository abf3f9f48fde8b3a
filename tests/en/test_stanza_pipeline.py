"""The real stanza.Pipeline path, on a tiny English model built here (tests/en/stanza_tiny_model.py).

No real stanza model can be had on the build machines, so until now only the plumbing around a stand-in
pipeline was tested. Here stanza loads, with every socket refused, a model folder laid out as
`stanza.download` writes it: through `load_parser`, `$STANZA_RESOURCES_DIR`, `cxrlabel extract` and
`cxrlabel parsers`. The model is untrained, so only the shape of what comes back is checked.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

stanza = pytest.importorskip("stanza", reason="stanza is not installed (pip install 'cxrlabel[stanza]')")

from cxrlabel.cli import main  # noqa: E402
from cxrlabel.errors import UserError  # noqa: E402
from cxrlabel.en.lexicon import CHEXPERT  # noqa: E402
from cxrlabel.en.parsers import load_parser  # noqa: E402
from cxrlabel.en.parsers.ptb_tokenize import tokenize  # noqa: E402
from cxrlabel.en.parsers.stanza_backend import PROCESSORS, installed_packages  # noqa: E402
from tests.en.stanza_tiny_model import MODEL, build_tiny_stanza_model  # noqa: E402

SENTENCES = ["No pneumothorax or pleural effusion.", "Heart size isn't enlarged (stable).", "Lungs clear."]


@contextlib.contextmanager
def sockets_refused() -> Iterator[None]:
    """Any socket creation fails, as on a hospital machine without internet."""
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture
def no_network() -> Iterator[None]:
    with sockets_refused():
        yield


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> tuple[Path, str]:
    """Built once per session (about 2 s), also with sockets refused."""
    folder = tmp_path_factory.mktemp("stanza_resources")
    try:
        with sockets_refused():
            package = build_tiny_stanza_model(folder)
    except OSError as exc:  # the only environmental failure: the temporary folder cannot be written
        pytest.skip(f"could not write the tiny stanza model to {folder}: {exc}")
    return folder, package


@pytest.fixture(scope="module")
def tiny_parser(tiny_model):
    folder, package = tiny_model
    with sockets_refused():
        return load_parser("stanza", stanza_dir=str(folder), stanza_package=package)


def copy_model(tiny_model: tuple[Path, str], to: Path, packages: dict[str, dict], **extra: object) -> Path:
    """The tiny model's files with another resources.json `packages` entry (and any other keys)."""
    folder, _ = tiny_model
    shutil.copytree(folder, to)
    resources = json.loads((to / "resources.json").read_text(encoding="utf-8"))
    resources["en"]["packages"] = packages
    resources["en"].update(extra)
    (to / "resources.json").write_text(json.dumps(resources), encoding="utf-8")
    return to


# --- loading ---------------------------------------------------------------------------------------

def test_load_parser_goes_through_the_real_stanza_pipeline(tiny_model, no_network):
    folder, package = tiny_model
    parser = load_parser("stanza", stanza_dir=str(folder), stanza_package=package)
    assert isinstance(parser.nlp, stanza.Pipeline) and parser.package == package
    assert list(parser.nlp.processors) == PROCESSORS.split(",")
    for name in ("pos", "lemma", "depparse"):
        assert parser.nlp.processors[name].config["model_path"] == str(folder / "en" / name / f"{MODEL}.pt")
        assert parser.nlp.processors[name].trainer is not None  # a model was loaded, not the identity lemmatizer
    assert parser.nlp.processors["pos"].pretrain.filename == str(folder / "en" / "pretrain" / f"{package}.pt")


def test_parse_gives_one_ud_tree_per_sentence_on_our_ptb_tokens(tiny_parser, no_network):
    graphs = tiny_parser.parse(SENTENCES)
    assert [g.text for g in graphs] == SENTENCES
    for sentence, graph in zip(SENTENCES, graphs):
        assert [t.text for t in graph.tokens] == [w for w, _, _ in tokenize(sentence)]
        assert all(sentence[t.start:t.end] == t.text for t in graph.tokens)
        assert graph.parsed and sum(t.head == -1 for t in graph.tokens) == 1
        assert all(-1 <= t.head < len(graph.tokens) and t.head != t.i for t in graph.tokens)
        assert all(t.dep and t.pos and t.tag and t.lemma for t in graph.tokens)


def test_parse_batches_through_the_pipeline(tiny_parser, no_network):
    before = tiny_parser.batch_size
    tiny_parser.batch_size = 2
    try:
        graphs = tiny_parser.parse(SENTENCES)
    finally:
        tiny_parser.batch_size = before
    assert [len(g.tokens) for g in graphs] == [len(tokenize(s)) for s in SENTENCES]


# --- finding the model -----------------------------------------------------------------------------

def test_installed_packages_finds_the_package(tiny_model):
    folder, package = tiny_model
    assert installed_packages(folder) == [package]


def test_stanza_resources_dir_is_used_without_any_option(tiny_model, monkeypatch, no_network, capsys):
    folder, package = tiny_model
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(folder))
    assert load_parser("stanza").package == package
    assert main(["parsers", "--json"]) == 0
    stanza_row = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "stanza")
    assert stanza_row["ready"] and stanza_row["model_found"] == package


def test_parsers_command_says_stanza_is_ready(tiny_model, no_network, capsys):
    folder, package = tiny_model
    assert main(["parsers", "--stanza-dir", str(folder), "--json"]) == 0
    stanza_row = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "stanza")
    assert stanza_row["installed"] and stanza_row["ready"] and stanza_row["model_found"] == package
    assert str(folder) in stanza_row["model_expected"]


# --- cxrlabel extract --parser stanza --------------------------------------------------------------

def test_extract_with_the_stanza_parser_writes_one_row_per_report(tiny_model, tmp_path, no_network):
    import pandas as pd

    folder, package = tiny_model
    reports = ["No pneumothorax. Heart size is normal.", "Mild cardiomegaly with small left pleural effusion.",
               "The patient was seen today."]
    path, out = tmp_path / "reports.csv", tmp_path / "out.csv"
    pd.DataFrame({"report": reports}).to_csv(path, index=False)
    code = main(["extract", str(path), "--parser", "stanza", "--stanza-dir", str(folder), "--stanza-package", package,
                 "--sections", "all", "-o", str(out), "-q"])
    assert code == 0
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == ["Reports"] + list(CHEXPERT)
    assert frame["Reports"].tolist() == reports
    findings = [c for c in CHEXPERT if c != "No Finding"]
    assert frame.loc[2, findings].isna().all()  # no mention: nothing was parsed, every finding blank


# --- stanza_backend against the real Pipeline: known bugs, the tests say what is right --------------

def test_a_package_stanza_cannot_resolve_fails_clearly(tiny_model, no_network):
    folder, _ = tiny_model
    with pytest.raises(UserError, match="no stanza English parser model 'craft'"):
        load_parser("stanza", stanza_dir=str(folder), stanza_package="craft")


def test_a_package_without_a_parser_is_refused(tiny_model, tmp_path, no_network):
    """Like stanza's real "radiology" package: a tokenizer and NER models, no parser."""
    folder = copy_model(tiny_model, tmp_path / "m", {"mimic": {"tokenize": "mimic", "pos": MODEL, "lemma": MODEL,
                                                               "depparse": MODEL},
                                                     "radiology": {"tokenize": "mimic", "ner": ["radiology"]}})
    with pytest.raises(UserError, match="radiology"):
        load_parser("stanza", stanza_dir=str(folder), stanza_package="radiology")


def test_the_installed_package_is_loaded_when_none_is_named(tiny_model, tmp_path, no_network):
    """As after stanza.download(package='genia'): resources.json lists every package, only genia's files are here."""
    genia = {"tokenize": "mimic", "pos": MODEL, "lemma": MODEL, "depparse": MODEL}
    mimic = {"tokenize": "mimic", "pos": "mimic_charlm", "lemma": "mimic_nocharlm", "depparse": "mimic_charlm"}
    folder = copy_model(tiny_model, tmp_path / "g", {"mimic": mimic, "genia": genia})
    assert installed_packages(folder) == ["genia"]
    parser = load_parser("stanza", stanza_dir=str(folder))
    assert parser.package == "genia" and "depparse" in parser.nlp.processors


def test_default_processors_alone_is_not_reported_installed(tiny_model, tmp_path, no_network):
    spec = {"tokenize": "mimic", "pos": MODEL, "lemma": MODEL, "depparse": MODEL}
    folder = copy_model(tiny_model, tmp_path / "d", {}, default_processors=spec)
    with pytest.raises(UserError, match="no stanza English parser model"):
        load_parser("stanza", stanza_dir=str(folder))  # what stanza itself does with this layout
    assert installed_packages(folder) == []
