"""Negation, uncertainty and normal cues: find them in a clause part, then cut them out before clustering."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from ..errors import UserError


class Cue(str, Enum):
    """What a clause part says about its finding; the label value follows from it."""

    NONE = "none"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    NORMAL = "normal"  # a normal descriptor: 心影不大, 肋膈角锐利
    NOT_A_CUE = "not_a_cue"  # a phrase that holds a cue word but is none (肋膈角消失); kept in the text
    FRAME = "frame"  # a discourse frame of prose (此外, X光片显示): removed, says nothing about the finding


CUE_VALUE = {Cue.NONE: 1.0, Cue.NEGATED: 0.0, Cue.UNCERTAIN: -1.0, Cue.NORMAL: 0.0}
# When a part holds several cues: any uncertainty wins, then negation, then a normal descriptor.
_RANK = (Cue.UNCERTAIN, Cue.NEGATED, Cue.NORMAL)
_LIST = {Cue.NEGATED: "negation", Cue.UNCERTAIN: "uncertainty", Cue.NORMAL: "normal", Cue.NOT_A_CUE: "not-a-cue",
         Cue.FRAME: "discourse"}


@dataclass(frozen=True)
class CueMatch:
    start: int
    end: int
    text: str
    kind: Cue


class CueMatcher:
    """Finds cues left to right, longest cue first at each position.

    One alternation over every list (sorted by length) is what makes 不除外 an uncertainty cue
    rather than a negation, 未见异常 a normal descriptor rather than 未见, and 肋膈角消失 no cue.
    With `tokens` (jieba), a one-character cue only counts as a word of its own: 无 in 无气胸,
    not in 完好无损.
    """

    def __init__(self, negation: Iterable[str], uncertainty: Iterable[str],
                 normal: Iterable[str] = (), not_cues: Iterable[str] = (), frames: Iterable[str] = (),
                 tokens: Callable[[str], list[str]] | None = None) -> None:
        self.kinds: dict[str, Cue] = {}
        self._tokens = tokens
        for kind, cues in ((Cue.NEGATED, negation), (Cue.UNCERTAIN, uncertainty), (Cue.NORMAL, normal),
                           (Cue.NOT_A_CUE, not_cues), (Cue.FRAME, frames)):
            for cue in cues:
                if cue in self.kinds and self.kinds[cue] is not kind:
                    raise UserError(f"cue {cue!r} is listed as both {_LIST[self.kinds[cue]]} and {_LIST[kind]}; "
                                    "keep it in one file")
                if cue:
                    self.kinds[cue] = kind
        if not any(kind in (Cue.NEGATED, Cue.UNCERTAIN) for kind in self.kinds.values()):
            raise UserError("the negation and uncertainty cue files are both empty; restore rules/zh/")
        ordered = sorted(self.kinds, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    def _word_bounds(self, text: str) -> set[int]:
        bounds, at = {0}, 0
        for token in self._tokens(text) if self._tokens else ():
            at += len(token)
            bounds.add(at)
        return bounds

    def matches(self, text: str) -> list[CueMatch]:
        """Every cue, not-a-cue phrase and frame in a (half-width) text, in reading order."""
        found = [CueMatch(m.start(), m.end(), m.group(0), self.kinds[m.group(0)]) for m in self._pattern.finditer(text)]
        if self._tokens is None or not any(len(m.text) == 1 and m.text.isalpha() for m in found):
            return found
        bounds = self._word_bounds(text)
        return [m for m in found if len(m.text) > 1 or not m.text.isalpha() or {m.start, m.end} <= bounds]

    def find(self, clause: str) -> list[str]:
        """The cues in a clause, in reading order (not-a-cue phrases and frames left out)."""
        return [m.text for m in self.matches(clause) if m.kind not in (Cue.NOT_A_CUE, Cue.FRAME)]

    def classify(self, clause: str) -> tuple[Cue, str]:
        """(cue kind, clause with every cue removed); not-a-cue phrases stay."""
        found = self.matches(clause)
        kinds = {m.kind for m in found}
        kind = next((k for k in _RANK if k in kinds), Cue.NONE)
        rest, at = [], 0
        for m in found:
            if m.kind is not Cue.NOT_A_CUE:
                rest.append(clause[at:m.start])
                at = m.end
        rest.append(clause[at:])
        return kind, "".join(rest)
