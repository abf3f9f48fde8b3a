"""Parser backends. Each turns sentence strings into `cxrlabel.en.graph.Graph`s with UD relations."""
from __future__ import annotations

from typing import AbstractSet, Protocol

from ...errors import UserError
from ..graph import Graph


class Parser(Protocol):
    """What the labeller asks of a backend. `BaseParser` holds the answers of a backend that parses
    sentences (not trees) and cannot tell anything about a parse without making it."""

    name: str
    # True: a report cell holds bracketed trees, which `read` turns into the report text, and `parse`
    # looks up the trees read instead of parsing. False: a cell holds report text.
    reads_trees: bool

    def parse(self, sentences: list[str]) -> list[Graph]:
        """Parse each sentence; the result is in input order."""

    def words_bound(self, sentence: str) -> AbstractSet[str] | None:
        """A superset of the lower-cased words and lemmas the parse of `sentence` would hold, found
        without parsing it; None when the backend cannot tell. Lets the labeller skip parsing a
        sentence where no rule's cue words could be."""

    def read(self, cell: str) -> tuple[str, list[tuple[int, int]]]:
        """(report text, each sentence's span in it) for a cell of trees; only asked when `reads_trees`."""

    def forget(self) -> None:
        """A batch is labelled: drop what was kept for it alone (the trees read), so memory stays flat."""


class BaseParser:
    """The defaults of `Parser` for a backend that parses sentence text and keeps nothing per batch."""

    name = ""
    reads_trees = False

    def parse(self, sentences: list[str]) -> list[Graph]:
        raise NotImplementedError

    def words_bound(self, sentence: str) -> AbstractSet[str] | None:
        return None

    def read(self, cell: str) -> tuple[str, list[tuple[int, int]]]:
        raise TypeError(f"the {self.name} parser reads report text, not bracketed trees")

    def forget(self) -> None:
        pass


PARSER_CHOICES = ("spacy", "stanza", "bllip", "ptb", "none")


def load_parser(name: str, **options: str | None) -> Parser:
    """Load a backend once per process; model options are passed through by name."""
    if name == "spacy":
        from .spacy_backend import SpacyParser

        return SpacyParser(model=options.get("spacy_model"))
    if name == "stanza":
        from .stanza_backend import StanzaParser

        return StanzaParser(options.get("stanza_dir"), options.get("stanza_package"))
    if name == "bllip":
        from .bllip_backend import BllipParser

        return BllipParser(options.get("bllip_model"), options.get("corenlp_jar"))
    if name == "ptb":
        from .ptb_input import PTBInput

        return PTBInput(options.get("corenlp_jar"))
    if name == "none":
        from .surface import SurfaceParser

        return SurfaceParser()
    raise UserError(f"unknown parser {name!r}; choose one of: {', '.join(PARSER_CHOICES)}")
