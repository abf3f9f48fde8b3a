"""Parser backends. Each turns sentence strings into `cxrlabel.en.graph.Graph`s with UD relations."""
from __future__ import annotations

from typing import Protocol

from ...errors import UserError
from ..graph import Graph


class Parser(Protocol):
    name: str

    def parse(self, sentences: list[str]) -> list[Graph]:
        """Parse each sentence; the result is in input order."""


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
