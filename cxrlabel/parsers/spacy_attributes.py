"""The model's attribute ruler, applied through a word and tag index instead of spaCy's Matcher.

en_core_web_sm's attribute ruler turns the tagger's fine tags into parts of speech, morphology and a
few lemmas with about 180 one- and two-token patterns. spaCy's general Matcher took a third of the
pipeline's time on our sentences; these patterns only test a token's lower-cased word, tag, relation
or whether it is a space, so an index on word and tag finds the same matches. The ruler's own
`set_annotations` then applies them, in the ruler's order, so the result is the same.
A model whose patterns use anything else (operators, other attributes) keeps spaCy's ruler.
"""
from __future__ import annotations

import re
from operator import attrgetter
from typing import Callable

from spacy.strings import get_string_id

# Token attributes a pattern may test -> the Token attribute holding it as a string id (a bool for IS_SPACE)
ATTRIBUTES = {"LOWER": "lower", "ORTH": "orth", "TEXT": "orth", "TAG": "tag", "DEP": "dep", "IS_SPACE": "is_space"}
_INDEXED = ("LOWER", "TAG", "DEP", "IS_SPACE")  # patterns are looked up by the first of these their first token tests

Check = tuple[int, Callable[[int], bool]]  # (column of the attribute array, test of the value there)


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
            regex = re.compile(arg)
            return lambda v: bool(regex.search(strings[v]))
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


class IndexedAttributeRuler:
    """Finds the attribute ruler's matches by index and lets the ruler apply them."""

    def __init__(self, ruler, compiled: list[tuple[int, dict, list[list[Check]]]]) -> None:
        """`compiled`: (attribute-set id, the pattern's first token as written, its checks) per pattern."""
        self.ruler = ruler
        self.row = attrgetter(*ATTRIBUTES.values())
        self.keys = {attr_id: ruler.vocab.strings.add(str(attr_id)) for attr_id, _, _ in compiled}
        # (column, value id) -> patterns whose first token has that value there, each as (attribute-set id,
        # length, the checks left once the index has matched); the rest are tried at every token
        self.by_value: dict[tuple[int, int], list[tuple[int, int, list[tuple[int, int, Callable]]]]] = {}
        self.anywhere: list[tuple[int, int, list[tuple[int, int, Callable]]]] = []
        for attr_id, first, pattern in compiled:
            keys = _index_keys(first)
            checks = [(k, column, test) for k, token_checks in enumerate(pattern) for column, test in token_checks]
            if keys is None:
                self.anywhere.append((attr_id, len(pattern), checks))
                continue
            column, values = keys
            # the index already holds the first token's check on that column: an exact value or an IN list
            rest = [c for c in checks if not (c[0] == 0 and c[1] == column)]
            for value in values:
                self.by_value.setdefault((column, value), []).append((attr_id, len(pattern), rest))
        self.indexed_columns = sorted({column for column, _ in self.by_value})

    def __call__(self, doc):
        rows = [self.row(token) for token in doc]  # (Doc.to_array's uint64 ids are slow to unbox)
        n = len(rows)
        matches = []
        for start, row in enumerate(rows):
            candidates = list(self.anywhere)
            for column in self.indexed_columns:
                candidates += self.by_value.get((column, row[column]), ())
            for attr_id, length, checks in candidates:
                end = start + length
                if end <= n and (not checks or all(test(rows[start + k][column]) for k, column, test in checks)):
                    matches.append((attr_id, self.keys[attr_id], start, end))
        matches.sort()  # the ruler's order: later attribute sets overwrite earlier ones
        self.ruler.set_annotations(doc, matches)
        return doc


def indexed_attribute_ruler(ruler) -> IndexedAttributeRuler | None:
    """The indexed ruler for spaCy's `ruler`, or None when one of its patterns is beyond what it reads."""
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
            compiled.append((attr_id, spec_tokens[0], pattern))
    return IndexedAttributeRuler(ruler, compiled)
