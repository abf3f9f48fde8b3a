"""Every word and lemma a spaCy parse of a sentence could hold, found without parsing it.

A negation or uncertainty rule needs its cue words in the sentence (`Rule.possible`). When no rule
could match, every mention in the sentence is positive whatever the parse says, so the parse can be
skipped, as it can for many of the sentences with a mention in radiology text. The bound must hold every
lower-cased word and lemma the parse can give, so it is built from the same pieces: the model's
tokenizer gives the exact words, and each word's possible lemmas are its own form, the lemmas the
attribute ruler can set on it, and every form the rule lemmatizer can make from it under any part of
speech. A pipeline with anything else that could set a lemma gets no bound, and is parsed in full.
"""
from __future__ import annotations

from ...memo import Memo
from .spacy_attributes import value_test

WORDS_KEPT = 100_000  # distinct words whose lemma sets are kept
# Components whose effect on words and lemmas the bound accounts for
KNOWN_COMPONENTS = {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "ner"}


class SpacyWordBound:
    """`bound(doc)`: a superset of {word.lower(), lemma.lower()} over the parse of the sentence tokenized into `doc`."""

    def __init__(self, nlp) -> None:
        self.strings = nlp.vocab.strings
        lemmatizer = nlp.get_pipe("lemmatizer")
        lookups = lemmatizer.lookups
        self.tables = [lookups.get_table(name, {}) for name in ("lemma_index", "lemma_exc", "lemma_rules")]
        self.parts_of_speech = sorted({pos for table in self.tables for pos in table})
        self.ruler_lemmas = self._ruler_lemmas(nlp.get_pipe("attribute_ruler")) if "attribute_ruler" in nlp.pipe_names else []
        self.anywhere = frozenset(lemma for test, lemma in self.ruler_lemmas if test is None)
        self.lemma_sets: Memo[str, frozenset[str]] = Memo(WORDS_KEPT)

    @classmethod
    def for_pipeline(cls, nlp) -> "SpacyWordBound | None":
        """The bound for `nlp`, or None when something in it could set a lemma we cannot foresee."""
        if not set(nlp.pipe_names) <= KNOWN_COMPONENTS or "lemmatizer" not in nlp.pipe_names:
            return None
        if nlp.get_pipe("lemmatizer").mode != "rule":
            return None
        return cls(nlp)

    def _ruler_lemmas(self, ruler) -> list[tuple[object, str]]:
        """(test of the lower-cased word, lemma) for each pattern token the ruler gives a lemma; the test
        is None when the pattern does not name the word."""
        out = []
        for entry in ruler.patterns:
            lemma = entry["attrs"].get("LEMMA")
            if lemma is None:
                continue
            for pattern in entry["patterns"]:
                spec = pattern[entry["index"]]
                value = spec.get("LOWER", spec.get("ORTH", spec.get("TEXT")))
                test = value_test(value, self.strings) if value is not None else None
                if value is not None and test is None:
                    raise ValueError(f"attribute ruler pattern not understood: {spec}")
                out.append((test, str(lemma).lower()))
        return out

    def _lemmas(self, token) -> frozenset[str]:
        lower = token.text.lower()
        forms = {lower}
        forms.update(lemma for test, lemma in self.ruler_lemmas
                     if test is not None and (test(token.lower) or test(token.orth)))
        _, exc_table, rules_table = self.tables  # the index only ranks forms; any of them may be chosen
        for pos in self.parts_of_speech:  # every form spaCy's rule_lemmatize can return, for any tag
            for old, new in rules_table.get(pos, []):
                if lower.endswith(old):
                    form = lower[:len(lower) - len(old)] + new
                    if form:
                        forms.add(form)
            forms.update(exc_table.get(pos, {}).get(lower, []))
        return frozenset(f.lower() for f in forms) | self.anywhere

    def bound(self, doc) -> set[str]:
        """The bound of a sentence the model's tokenizer has made into `doc`."""
        words: set[str] = set()
        recall, lemmas = self.lemma_sets.recall, self._lemmas
        for token in doc:
            words |= recall(token.text, lambda _: lemmas(token))
        return words
