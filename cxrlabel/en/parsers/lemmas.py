"""Lemmas for words that another parser tagged, from the spaCy English model's rule lemmatizer.

The rules name lemmas ("exclude" for "excluded", "limit" for "limits"), so the tree backends need the
same lemmas the spaCy backend gives; spaCy's lemmatizer needs only words and tags, not its own parse.
"""
from __future__ import annotations

from typing import Callable

from .ptb_to_ud import UPOS
from .spacy_backend import load_spacy

Lemmatizer = Callable[[list[str], list[str]], list[str]]


def spacy_lemmatizer(nlp=None) -> Lemmatizer:
    """A `lemmatize(words, ptb_tags) -> lemmas` callback; loads the spaCy model when `nlp` is not given
    (a clear UserError when it is missing)."""
    from spacy.tokens import Doc

    nlp = nlp or load_spacy()
    lemmatizer = nlp.get_pipe("lemmatizer")
    # The model's attribute ruler turns tags into morphology (Number=Sing, VerbForm=Inf) the lemmatizer
    # reads to leave base forms alone; without it "atelectasis" would lose its final s.
    attributes = nlp.get_pipe("attribute_ruler") if "attribute_ruler" in nlp.pipe_names else None

    def lemmatize(words: list[str], tags: list[str]) -> list[str]:
        if not words:
            return []
        doc = Doc(nlp.vocab, words=list(words))
        for token, tag in zip(doc, tags):
            token.tag_ = tag
            token.pos_ = UPOS.get(tag, "X")  # the rule lemmatizer picks its rules by it
        if attributes is not None:
            doc = attributes(doc)
        return [token.lemma_.lower() for token in lemmatizer(doc)]

    return lemmatize
