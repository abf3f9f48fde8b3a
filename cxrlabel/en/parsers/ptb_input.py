"""`--parser ptb`: the report column already holds bracketed PTB trees, one per sentence.

Sites with trees from another parser use our rules on them: each tree's leaves become a sentence, the
sentences joined make the report text, and parsing is a lookup of the tree given for that sentence.
"""
from __future__ import annotations

from ..graph import Graph
from . import BaseParser
from .ptb_tree import Tree, detokenize, read_trees
from .tree_conversion import TreeConverter


class PTBInput(BaseParser):
    name = "ptb"
    reads_trees = True  # cells hold trees: `read` takes them in, `parse` converts them, `forget` lets them go

    def __init__(self, corenlp_jar: str | None = None) -> None:
        self.converter = TreeConverter(corenlp_jar)
        self._trees: dict[str, Tree] = {}

    def read(self, cell: str) -> tuple[str, list[tuple[int, int]]]:
        """The report text made from a cell of trees, and each sentence's span in it."""
        text, spans = "", []
        for tree in read_trees(cell):
            sentence, _ = detokenize([word for word, _ in tree.leaves()])
            if not sentence:
                continue
            if text:
                text += " "
            spans.append((len(text), len(text) + len(sentence)))
            text += sentence
            self._trees.setdefault(sentence, tree)
        return text, spans

    def parse(self, sentences: list[str]) -> list[Graph]:
        graphs = self.converter.graphs([self._trees[s] for s in sentences], sentences)
        return graphs

    def forget(self) -> None:
        """Drop the trees of a finished batch so memory stays flat over an archive."""
        self._trees.clear()
