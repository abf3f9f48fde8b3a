"""Build a `Graph` from words that already carry UD relations (stanza, CoreNLP, CoNLL-U files).

Older converters write UD v1 names; they are mapped to the v2 names our rules are written against.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph, Token

UD_V1_TO_V2 = {
    "nsubjpass": "nsubj:pass", "csubjpass": "csubj:pass", "auxpass": "aux:pass", "dobj": "obj",
    "neg": "advmod", "name": "flat", "mwe": "fixed", "foreign": "flat:foreign", "ROOT": "root",
}


@dataclass(frozen=True)
class UDWord:
    text: str
    lemma: str
    upos: str
    xpos: str
    head: int  # index into the sentence, -1 for the root
    deprel: str
    start: int
    end: int


def build_graph(text: str, words: list[UDWord]) -> Graph:
    tokens = [
        Token(i, w.text, (w.lemma or w.text).lower(), w.upos, w.xpos, w.head,
              UD_V1_TO_V2.get(w.deprel, w.deprel), w.start, w.end)
        for i, w in enumerate(words)
    ]
    return Graph(text, tokens, parsed=True)
