"""What the model's attribute ruler and lemmatizer give each parsed word, found by index and remembered.

en_core_web_sm's attribute ruler turns the tagger's fine tags into parts of speech, morphology and a
few lemmas with about 180 one- and two-token patterns, and the rule lemmatizer then reads them. Run
as spaCy runs them (a general Matcher, a Span per match, a lemma per token) they redo, for every word
of every sentence, work whose outcome depends on little: their patterns only test a word's
lower-cased form, tag, relation or whether it is a space, so the patterns that match a word are found by an index on those, and what the ruler and the
lemmatizer make of a word depends only on the word and the patterns that matched it. That result is
worked out once, by spaCy's own code on the real token, and remembered for the next word like it.
A model whose patterns use anything else (operators, other attributes) keeps spaCy's components.

An attribute set goes onto a token through the helper AttributeRuler.set_annotations itself calls,
which spaCy keeps in a private module; should it move, the ruler's public set_annotations does it
instead, on a span made around the token (the same helper underneath, a Span more per word worked out).
"""
from __future__ import annotations

import re
from typing import Callable

from spacy.strings import get_string_id

from ...memo import Memo

try:
    from spacy.tokens._retokenize import set_token_attrs  # what AttributeRuler.set_annotations itself calls
except ImportError:  # moved or renamed in a later spaCy: TokenAnnotator takes the public route
    set_token_attrs = None

# Token attributes a pattern may test -> the Token attribute holding it as a string id (a bool for IS_SPACE)
ATTRIBUTES = {"LOWER": "lower", "ORTH": "orth", "TEXT": "orth", "TAG": "tag", "DEP": "dep", "IS_SPACE": "is_space"}
# ... and what else a word's result depends on: the part of speech and lemma it has before the ruler. Read for a
# whole Doc at once (Doc.to_array, the same ids and 0/1 for IS_SPACE): a Token object per word cost more than its row.
_ROW = [*(name.upper() for name in ATTRIBUTES.values()), "POS", "LEMMA"]
_INDEXED = ("LOWER", "TAG", "DEP", "IS_SPACE")  # patterns are looked up by the first of these their first token tests
ANNOTATIONS_KEPT = 200_000  # distinct words (with the longer patterns that matched them) whose results are kept
REGEX_ANSWERS_KEPT = 200_000  # per REGEX pattern value: distinct words whose answer is kept

Check = tuple[int, Callable[[int], bool]]  # (column of the attribute row, test of the value there)
Annotation = tuple[str, str, str, str]  # (tag, part of speech, lemma, relation) as the pipeline leaves them


def _id(value) -> int:
    return int(value) if isinstance(value, bool) else get_string_id(value)


def value_test(value, strings) -> Callable[[int], bool] | None:
    """A test equal to the Matcher's for one predicate value, or None when it is not one we read."""
    if isinstance(value, (str, bool)):
        wanted = _id(value)
        return lambda v: v == wanted
    if isinstance(value, dict) and len(value) == 1:
        (op, arg), = value.items()
        if op == "IN" and isinstance(arg, list):
            members = frozenset(map(_id, arg))
            return lambda v: v in members
        if op == "NOT_IN" and isinstance(arg, list):
            members = frozenset(map(_id, arg))
            return lambda v: v not in members
        if op == "REGEX" and isinstance(arg, str):
            regex, answers = re.compile(arg), Memo(REGEX_ANSWERS_KEPT)

            def matches(v: int) -> bool:
                return bool(regex.search(strings[v]))

            def search(v: int) -> bool:  # asked of every word; remembered for the distinct ones
                return answers.recall(v, matches)
            return search
    return None


def _index_keys(spec: dict) -> tuple[int, tuple[int, ...]] | None:
    """(column, value ids) a first token must have, for the index; None when it could be any."""
    for attr in _INDEXED:
        value = spec.get(attr)
        if isinstance(value, (str, bool)):
            return list(ATTRIBUTES).index(attr), (_id(value),)
        if isinstance(value, dict) and list(value) == ["IN"]:
            return list(ATTRIBUTES).index(attr), tuple(map(_id, value["IN"]))
    return None


class PatternIndex:
    """Patterns looked up by a value their first token must have; the rest are tried everywhere."""

    def __init__(self, compiled: list[tuple[int, int, dict, list[list[Check]]]]) -> None:
        self.by_value: dict[tuple[int, int], list[tuple[int, int, int, list]]] = {}
        self.anywhere: list[tuple[int, int, int, list]] = []
        for attr_id, index, first, pattern in compiled:
            keys = _index_keys(first)
            checks = [(k, column, test) for k, token_checks in enumerate(pattern) for column, test in token_checks]
            if keys is None:
                self.anywhere.append((attr_id, index, len(pattern), checks))
                continue
            column, values = keys
            rest = [c for c in checks if not (c[0] == 0 and c[1] == column)]  # the index lookup did that one
            for value in values:
                self.by_value.setdefault((column, value), []).append((attr_id, index, len(pattern), rest))
        self.columns = sorted({column for column, _ in self.by_value})

    def matches(self, rows: list[tuple], start: int) -> list[tuple[int, int]]:
        """(attribute-set id, matched token) for every pattern matching at `start`."""
        row, n, out = rows[start], len(rows), []
        candidates = self.anywhere + [c for column in self.columns for c in self.by_value.get((column, row[column]), ())]
        for attr_id, index, length, checks in candidates:
            end = start + length
            if end <= n and all(test(rows[start + k][column]) for k, column, test in checks):
                out.append((attr_id, start + index if index >= 0 else end + index))
        return out


class TokenAnnotator:
    """(tag, part of speech, lemma, relation) per token, as spaCy's ruler and lemmatizer would leave them."""

    def __init__(self, ruler, lemmatizer, compiled: list[tuple[int, int, dict, list[list[Check]]]]) -> None:
        self.ruler, self.lemmatizer = ruler, lemmatizer
        self.single = PatternIndex([c for c in compiled if len(c[3]) == 1])
        self.multi = PatternIndex([c for c in compiled if len(c[3]) > 1])
        self.results: Memo[tuple, Annotation] = Memo(ANNOTATIONS_KEPT)
        self.helper = set_token_attrs  # None: spaCy moved it, and the ruler's public step stands in
        self.set_attrs = self._set_attrs if self.helper is not None else self._set_attrs_through_ruler

    def __call__(self, doc) -> list[Annotation]:
        rows = list(map(tuple, doc.to_array(_ROW).tolist())) if len(doc) else []
        extra: dict[int, list[int]] = {}  # token -> attribute sets of longer patterns that end up on it
        for start in range(len(rows)):
            for attr_id, target in self.multi.matches(rows, start):
                extra.setdefault(target, []).append(attr_id)
        recall, out = self.results.recall, []
        for i, row in enumerate(rows):
            key = (row, tuple(extra[i])) if i in extra else row
            out.append(recall(key, lambda _: self._work_out(doc[i], rows, i, extra.get(i, []))))
        return out

    def _work_out(self, token, rows: list[tuple], i: int, extra: list[int]) -> Annotation:
        """Apply the matching attribute sets in the ruler's order (later ones win), then the lemmatizer, to
        the real token: the same calls spaCy makes. `token` is changed; its Doc is not used again."""
        for attr_id in sorted({a for a, _ in self.single.matches(rows, i)} | set(extra)):
            self.set_attrs(token, attr_id)
        if self.lemmatizer is not None and (self.lemmatizer.overwrite or token.lemma == 0):
            token.lemma_ = self.lemmatizer.lemmatize(token)[0]
        return token.tag_, token.pos_, token.lemma_, token.dep_

    def _set_attrs(self, token, attr_id: int) -> None:
        self.helper(token, self.ruler.attrs[attr_id])

    def _set_attrs_through_ruler(self, token, attr_id: int) -> None:
        """The ruler's own public step for one match, on the shortest span whose `index`-th token is
        `token`: a real match of the pattern holds that span, so it lies within the Doc."""
        index = self.ruler.indices[attr_id]
        start, end = (token.i - index, token.i + 1) if index >= 0 else (token.i, token.i - index)
        self.ruler.set_annotations(token.doc, [(attr_id, 0, start, end)])


def token_annotator(ruler, lemmatizer) -> TokenAnnotator | None:
    """The annotator for spaCy's `ruler` and `lemmatizer` (None: no lemmatizer), or None when a ruler
    pattern is beyond what the index reads."""
    names = list(ATTRIBUTES)
    compiled = []  # the ruler numbers its attribute sets in the order of `patterns`
    for attr_id, entry in enumerate(ruler.patterns):
        for spec_tokens in entry["patterns"]:
            pattern: list[list[Check]] = []
            for spec in spec_tokens:
                checks = []
                for attr, value in spec.items():
                    test = value_test(value, ruler.vocab.strings) if attr in ATTRIBUTES else None
                    if test is None:
                        return None
                    checks.append((names.index(attr), test))
                pattern.append(checks)
            if not pattern:
                return None
            compiled.append((attr_id, entry["index"], spec_tokens[0], pattern))
    if lemmatizer is not None:  # Lemmatizer.__call__ checks its tables on first use; so do we
        from spacy.tokens import Doc

        lemmatizer(Doc(lemmatizer.vocab, words=[]))
    return TokenAnnotator(ruler, lemmatizer, compiled)
