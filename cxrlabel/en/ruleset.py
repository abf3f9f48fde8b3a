"""Loading negation and uncertainty rule files (rules/en/*.txt) into compiled patterns."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .patterns import Node, PatternError, Scope, observation_tests, parse, required_words

# Applied in this order, as the CheXpert labeler does.
STAGES = ("pre_negation_uncertainty", "negation", "post_negation_uncertainty")
STAGE_LABEL = {"pre_negation_uncertainty": -1.0, "negation": 0.0, "post_negation_uncertainty": -1.0}
MODES = ("graph", "surface", "any")
_LINE = re.compile(r"^(?P<id>[A-Za-z0-9_.\-]+)\s*(?:\[(?P<mode>\w+)\])?\s*:\s*(?P<pattern>.+)$")


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str
    mode: str  # graph: needs a parse; surface: only without one; any: both
    pattern: Node
    source: str
    requires: tuple[frozenset[str], ...] = ()  # each set must meet the sentence's words

    def possible(self, vocabulary: set[str]) -> bool:
        return all(not words.isdisjoint(vocabulary) for words in self.requires)

    def admits(self, observation: str) -> bool:
        """False when the pattern's `obs:` constraints rule out a mention of `observation`."""
        return all(bool(regex.fullmatch(observation)) != negated for regex, negated in observation_tests(self.pattern))


class CueIndex:
    """Whether any of some rules could match a sentence with given words, as `Rule.possible` would say for
    each, with one bit per required word set: asked for every new sentence with a mention. Given the
    observations of the sentence's mentions, only the rules that admit one of them (`Rule.admits`) count."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.bits: dict[str, int] = {}  # word -> the required sets it meets
        self.masks: list[int] = []  # per rule, the sets it requires
        self._admitting: dict[frozenset[str], list[int]] = {}  # observations -> masks of the rules admitting one
        n = 0
        for rule in rules:
            mask = 0
            for words in rule.requires:
                for word in words:
                    self.bits[word] = self.bits.get(word, 0) | 1 << n
                mask |= 1 << n
                n += 1
            self.masks.append(mask)

    def any_possible(self, words: set[str], observations: frozenset[str] | None = None) -> bool:
        met = 0
        for word in words:
            met |= self.bits.get(word, 0)
        return any(mask & met == mask for mask in (self.masks if observations is None else self._masks(observations)))

    def _masks(self, observations: frozenset[str]) -> list[int]:
        masks = self._admitting.get(observations)
        if masks is None:
            masks = self._admitting[observations] = list(dict.fromkeys(
                mask for rule, mask in zip(self.rules, self.masks) if any(map(rule.admits, observations))))
        return masks


@dataclass
class RuleSet:
    stages: dict[str, list[Rule]]
    scope: Scope


def _strip_comment(line: str) -> str:
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()


def read_rules(path: Path, stage: str) -> list[Rule]:
    rules, seen = [], set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = _strip_comment(raw)
        if not line:
            continue
        where = f"{path}:{number}"
        m = _LINE.match(line)
        if not m:
            raise UserError(f"{where}: a rule is written 'rule.id: pattern' or 'rule.id [surface]: pattern'")
        mode = m.group("mode") or "graph"
        if mode not in MODES:
            raise UserError(f"{where}: unknown mode [{mode}]; use one of {', '.join(MODES)}")
        if m.group("id") in seen:
            raise UserError(f"{where}: rule id {m.group('id')!r} is used twice")
        seen.add(m.group("id"))
        try:
            pattern = parse(m.group("pattern"), where)
        except PatternError as exc:
            raise UserError(str(exc)) from None
        rules.append(Rule(m.group("id"), stage, mode, pattern, where, tuple(required_words(pattern))))
    return rules


def read_words(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    return frozenset(w.lower() for w in (_strip_comment(l) for l in path.read_text(encoding="utf-8").splitlines()) if w)


def read_scope(path: Path) -> Scope:
    """scope_terminators.txt: a word per line, `pos:TAG` to stop at a part of speech, `pass:word` to exempt a word."""
    entries = read_words(path)
    return Scope(frozenset(e for e in entries if ":" not in e),
                 frozenset(e[4:].upper() for e in entries if e.startswith("pos:")),
                 frozenset(e[5:] for e in entries if e.startswith("pass:")))


def load(directory: Path) -> RuleSet:
    """Read <stage>.txt for each stage, plus scope_terminators.txt for window scopes."""
    stages = {}
    for stage in STAGES:
        path = directory / f"{stage}.txt"
        if not path.exists():
            raise UserError(f"{path}: rule file missing; a rules folder needs {', '.join(s + '.txt' for s in STAGES)}")
        stages[stage] = read_rules(path, stage)
    return RuleSet(stages, read_scope(directory / "scope_terminators.txt"))
