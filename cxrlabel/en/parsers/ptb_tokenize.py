"""PTB-style word tokenisation with character offsets, shared by the stanza and BLLIP backends.

Both parsers were trained on Penn Treebank tokens, so both get the same NLTK Treebank split of our
own sentences; the offsets keep every token tied to the report text.
"""
from __future__ import annotations

from nltk.tokenize import TreebankWordTokenizer

_TOKENIZER = TreebankWordTokenizer()
# How the Penn Treebank writes brackets and quotes; BLLIP expects these forms.
PTB_ESCAPES = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}


def tokenize(sentence: str) -> list[tuple[str, int, int]]:
    """(word as written, start, end) for each PTB token of the sentence."""
    return [(sentence[s:e], s, e) for s, e in _TOKENIZER.span_tokenize(sentence)]


def ptb_form(word: str) -> str:
    """The token as a PTB-trained parser expects to read it."""
    if word == '"':
        return "``"
    return PTB_ESCAPES.get(word, word)
