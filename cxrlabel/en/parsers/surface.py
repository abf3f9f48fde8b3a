"""The rule-only mode: tokens without a parse, so negation falls back to surface scope windows."""
from __future__ import annotations

import re

from ..graph import Graph, Token
from . import BaseParser

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?|[^\sA-Za-z0-9]")


def tokenize(sentence: str) -> Graph:
    tokens = [
        Token(i, m.group(), m.group().lower(), "", "", -1, "", m.start(), m.end())
        for i, m in enumerate(_TOKEN.finditer(sentence))
    ]
    return Graph(sentence, tokens, parsed=False)


class SurfaceParser(BaseParser):
    """Needs no model: tokenises only."""

    name = "none"
    reads_trees = False

    def parse(self, sentences: list[str]) -> list[Graph]:
        return [tokenize(s) for s in sentences]
