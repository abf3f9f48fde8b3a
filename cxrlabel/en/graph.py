"""The one dependency-graph type every parser backend fills in, so rules are written once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Token(NamedTuple):
    """A word with Universal Dependencies annotations; `head` is an index into the sentence, -1 for the root.
    A named tuple: parsers make one per word, and a frozen dataclass took several times as long to build."""

    i: int
    text: str
    lemma: str
    pos: str
    tag: str
    head: int
    dep: str
    start: int  # character offsets into the sentence text
    end: int


@dataclass
class Graph:
    """A parsed sentence. `parsed` is False for the rule-only mode, where there are no edges."""

    text: str
    tokens: list[Token]
    parsed: bool = True
    _children: list[list[int]] = field(default_factory=list, repr=False)
    _vocabulary: set[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._children = [[] for _ in self.tokens]
        for tok in self.tokens:
            if tok.head >= 0:
                self._children[tok.head].append(tok.i)

    @property
    def vocabulary(self) -> set[str]:
        """Every word and lemma, lower-cased: lets rules that need an absent cue word be skipped."""
        if self._vocabulary is None:
            self._vocabulary = {t.lemma.lower() for t in self.tokens} | {t.text.lower() for t in self.tokens}
        return self._vocabulary

    def children(self, i: int) -> list[int]:
        return self._children[i]

    def head(self, i: int) -> int:
        return self.tokens[i].head

    def tokens_in(self, start: int, end: int) -> list[int]:
        """Indices of tokens overlapping the character span [start, end)."""
        return [t.i for t in self.tokens if t.start < end and t.end > start]

    def span_heads(self, indices: list[int]) -> list[int]:
        """The tokens of a span whose head lies outside it: where a multiword mention attaches."""
        inside = set(indices)
        heads = [i for i in indices if self.tokens[i].head not in inside]
        return heads or list(indices)
