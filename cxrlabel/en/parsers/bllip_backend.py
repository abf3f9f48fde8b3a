"""BLLIP backend: the CheXpert labeler's parser. PTB tokens -> BLLIP reranking parser -> UD graph.

The model folder (e.g. GENIA+PubMed) comes from --bllip-model or $BLLIP_MODEL; nothing is downloaded.
A sentence BLLIP cannot parse (over its length limit, or no parse found) falls back to the rule-only
surface graph, so no report is lost.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...errors import UserError
from ..graph import Graph
from . import BaseParser
from .ptb_tokenize import ptb_form, tokenize
from .ptb_tree import read_trees
from .surface import tokenize as surface_graph
from .tree_conversion import TreeConverter

FETCH = ('python -c "from bllipparser.ModelFetcher import download_and_install_model; '
         "download_and_install_model('GENIA+PubMed', 'bllip_models')\"")


def model_dir(option: str | None) -> Path | None:
    value = option or os.environ.get("BLLIP_MODEL")
    return Path(value).expanduser() if value else None


def missing_model_message(folder: Path | None) -> str:
    where = f"{folder} is not a BLLIP unified model folder (it needs parser/ and reranker/)" if folder else \
        "no BLLIP model given"
    return (f"{where}. On a machine with internet run: {FETCH} ; copy bllip_models/GENIA+PubMed here and "
            "pass --bllip-model bllip_models/GENIA+PubMed (or set BLLIP_MODEL). "
            "cxrlabel never downloads models while labelling.")


def is_model_dir(folder: Path | None) -> bool:
    return bool(folder) and (folder / "parser").is_dir() and (folder / "reranker").is_dir()


class BllipParser(BaseParser):
    name = "bllip"
    reads_trees = False

    def __init__(self, bllip_model: str | None = None, corenlp_jar: str | None = None) -> None:
        folder = model_dir(bllip_model)
        try:
            from bllipparser import RerankingParser
        except ImportError:
            raise UserError("bllipparser is not installed; install it with `pip install 'cxrlabel[bllip]'` "
                            "(it compiles C++ for a few minutes)") from None
        if not is_model_dir(folder):
            raise UserError(missing_model_message(folder))
        self.converter = TreeConverter(corenlp_jar)
        try:
            self.rrp = RerankingParser.from_unified_model_dir(str(folder))
        except Exception as exc:  # bllipparser reports a bad model folder with assorted errors
            raise UserError(f"{missing_model_message(folder)} (loading failed: {type(exc).__name__})") from None
        self.failures = 0

    def parse(self, sentences: list[str]) -> list[Graph]:
        graphs: list[Graph | None] = [None] * len(sentences)
        trees, texts, where = [], [], []
        for i, sentence in enumerate(sentences):
            tree = self._tree(sentence)
            if tree is None:
                self.failures += 1
                graphs[i] = surface_graph(sentence)
            else:
                trees.append(tree)
                texts.append(sentence)
                where.append(i)
        for i, graph in zip(where, self.converter.graphs(trees, texts)):
            graphs[i] = graph
        return graphs  # type: ignore[return-value]

    def _tree(self, sentence: str):
        words = [ptb_form(w) for w, _, _ in tokenize(sentence)]
        try:
            nbest = self.rrp.parse(words)
        except (ValueError, RuntimeError):  # e.g. more words than the parser's limit
            return None
        if len(nbest) == 0:
            return None
        return read_trees(str(nbest[0].ptb_parse))[0]
