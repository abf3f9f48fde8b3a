"""Constituency trees -> UD graphs, with our converter or (given a jar) CoreNLP's.

Shared by the BLLIP backend and `--parser ptb`, so both paths after parsing are the same code.
"""
from __future__ import annotations

from ..graph import Graph
from . import corenlp_convert
from .lemmas import spacy_lemmatizer
from .ptb_to_ud import convert
from .ptb_tree import Tree, align
from .ud_graph import UDWord, build_graph


class TreeConverter:
    def __init__(self, corenlp_jar: str | None = None) -> None:
        self.jar = corenlp_convert.jar_path(corenlp_jar)
        if self.jar:
            corenlp_convert.check(self.jar)
        self.lemmatize = spacy_lemmatizer()

    def graphs(self, trees: list[Tree], texts: list[str]) -> list[Graph]:
        """One graph per (tree, sentence text); offsets index the given text."""
        if not self.jar:
            return [convert(tree, text=text, lemmatize=self.lemmatize) for tree, text in zip(trees, texts)]
        converted = corenlp_convert.convert([tree.bracketed() for tree in trees], self.jar)
        return [self._from_conll(words, text) for words, text in zip(converted, texts)]

    def _from_conll(self, words, text: str) -> Graph:
        forms = [w.form for w in words]
        offsets = align(forms, text)
        lemmas = self.lemmatize(forms, [w.xpos for w in words])
        return build_graph(text, [
            UDWord(w.form if text[s:e] == "" else text[s:e], w.lemma if w.lemma not in {"", "_"} else lemma,
                   w.upos, w.xpos, w.head, w.deprel, s, e)
            for w, lemma, (s, e) in zip(words, lemmas, offsets)
        ])
