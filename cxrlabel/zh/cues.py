"""Negation and uncertainty cues: detect them per clause, then cut them out before clustering."""
from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from ..errors import UserError


class Cue(str, Enum):
    """What a clause says about its finding; the label value follows from it."""

    NONE = "none"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"


CUE_VALUE = {Cue.NONE: 1.0, Cue.NEGATED: 0.0, Cue.UNCERTAIN: -1.0}


class CueMatcher:
    """Finds cues left to right, longest cue first at each position.

    One alternation over both lists (sorted by length) is what makes 不除外 an uncertainty cue
    rather than a negation, and 待排 win over 排除 in 待排除.
    """

    def __init__(self, negation: Iterable[str], uncertainty: Iterable[str]) -> None:
        self.kinds: dict[str, Cue] = {cue: Cue.NEGATED for cue in negation if cue}
        for cue in uncertainty:
            if cue in self.kinds:
                raise UserError(f"cue {cue!r} is listed as both negation and uncertainty; keep it in one file")
            if cue:
                self.kinds[cue] = Cue.UNCERTAIN
        if not self.kinds:
            raise UserError("the negation and uncertainty cue files are both empty; restore rules/zh/")
        ordered = sorted(self.kinds, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    def find(self, clause: str) -> list[str]:
        """The cues in a (half-width) clause, in reading order."""
        return [m.group(0) for m in self._pattern.finditer(clause)]

    def classify(self, clause: str) -> tuple[Cue, str]:
        """(cue kind, clause with every cue removed). Uncertainty outranks negation."""
        kinds = {self.kinds[c] for c in self.find(clause)}
        kind = Cue.UNCERTAIN if Cue.UNCERTAIN in kinds else Cue.NEGATED if Cue.NEGATED in kinds else Cue.NONE
        return kind, self._pattern.sub("", clause)
