"""Parser backends. Each turns sentence strings into `cxrlabel.graph.Graph`s with UD relations."""
from __future__ import annotations

from typing import Protocol

from ..errors import UserError
from ..graph import Graph


class Parser(Protocol):
    name: str

    def parse(self, sentences: list[str]) -> list[Graph]:
        """Parse each sentence; the result is in input order."""


PARSER_CHOICES = ("spacy", "none")


def load_parser(name: str, **options: object) -> Parser:
    """Load a backend once per process; model options are passed through by name."""
    if name == "spacy":
        from .spacy_backend import SpacyParser

        return SpacyParser(model=options.get("spacy_model"))  # type: ignore[arg-type]
    if name == "none":
        from .surface import SurfaceParser

        return SurfaceParser()
    raise UserError(f"unknown parser {name!r}; choose one of: {', '.join(PARSER_CHOICES)}")
