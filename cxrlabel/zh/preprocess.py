"""From one diagnosis to its clause parts: split, drop boilerplate, read cues, normalise, segment.

Normalising drops device positions, digits, sizes, dates and (optionally) laterality, and gives a word that
names several findings (液气胸) one part per finding.

This is shared by `mine` and `label`, so a clause is treated identically when the clusters
are learnt and when new reports are assigned to them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from .clauses import split_clauses
from .cues import Cue, CueMatcher
from .data_files import ZhData
from .normalize import (compound_pattern, laterality_pattern, position_pattern, split_compounds, strip_laterality,
                        strip_numbers, strip_positions)
from .parts import PartSplitter
from .sections import SectionFinder
from .segment import Segmenter, join_tokens

# Function words left at the edge of a part once its cues are gone (肺部是清晰的 -> 肺部是的 -> 肺部).
_EDGE_PARTICLES = re.compile(r"^[的是都也很均了着]+|[的是都也很均了着]+$")


@dataclass(frozen=True)
class Clause:
    """One part of a clause of a report. `normalized` is empty when nothing clusterable is left."""

    clause_no: int  # position among all clauses of the report, boilerplate included
    part_no: int  # position among the parts of that clause
    text: str  # half-width, whitespace-tidied part as written
    cue: Cue
    normalized: str  # cue-, number- (and optionally laterality-) free text fed to clustering
    boilerplate: bool

    @property
    def normal_statement(self) -> bool:
        """A negated finding or a normal descriptor: what a normal report is made of."""
        return self.cue in (Cue.NEGATED, Cue.NORMAL)


class ClausePreprocessor:
    """Holds the word lists and the segmenter; `clauses()` is the only entry point."""

    def __init__(self, data: ZhData, drop_laterality: bool = False, sections: str = "diagnosis",
                 cache_size: int = 1 << 18) -> None:
        self.data = data
        self.drop_laterality = drop_laterality
        self.sections = sections
        self._finder = SectionFinder(data.sections) if sections == "diagnosis" else None
        self.segmenter = Segmenter(data.userdict)
        self.cues = CueMatcher(data.negation, data.uncertainty, data.normal, data.not_cues, data.discourse + data.degree,
                               self.segmenter.all_tokens)
        self.splitter = PartSplitter(self.cues, data.conjunctions, data.finding_ends, self.segmenter.all_tokens,
                                     data.list_openers, data.disjunctions, data.list_closers, data.laterality)
        self._boilerplate = tuple(sorted(set(data.boilerplate), key=len, reverse=True))
        self._laterality = laterality_pattern(data.laterality) if drop_laterality else None
        self._positions = position_pattern(data.positions)
        self._compounds = compound_pattern(data.compounds)
        # Archives repeat the same clause thousands of times; cache the per-clause work.
        self._parts = lru_cache(maxsize=cache_size)(self._parts_of)
        self.tokens = lru_cache(maxsize=cache_size)(self._tokens)

    def _parts_of(self, text: str, carry: Cue | None) -> tuple[tuple[str, Cue, str, bool], ...]:
        if strip_numbers(text).startswith(self._boilerplate):
            return ((text, Cue.NONE, "", True),)
        listed = self.splitter.continues_list(text) if carry else None
        out = []
        for part in self.splitter.split(listed, carry) if listed else self.splitter.split(text):
            if strip_numbers(part.text).startswith(self._boilerplate):
                out.append((part.text, Cue.NONE, "", True))
                continue
            # A word that names two findings (液气胸) gives one part per finding, each with the part's cue.
            for rest in split_compounds(strip_numbers(strip_positions(part.rest, self._positions)),
                                        self.data.compounds, self._compounds):
                normalized = _EDGE_PARTICLES.sub("", strip_laterality(rest, self._laterality))
                if len(normalized) < 2 and part.cue is not Cue.NORMAL:
                    normalized = ""  # one character names no finding (管 of 管末端平T7, 肺 of 以右下肺为著)
                out.append((part.text, part.cue, join_tokens(self.tokens(normalized)), False))
        return tuple(out)

    def _tokens(self, normalized: str) -> tuple[str, ...]:
        return tuple(self.segmenter.tokens(normalized))

    def clauses(self, report: str) -> list[Clause]:
        """Every part of every clause of one diagnosis, in order."""
        out: list[Clause] = []
        carry: Cue | None = None
        text = self._finder.diagnosis(report) if self._finder else report
        for number, clause in enumerate(split_clauses(text)):
            parts = self._parts(clause, carry)
            if out and all(cue is Cue.NEGATED and not normalized and not boilerplate
                           for _, cue, normalized, boilerplate in parts):
                # A clause of nothing but a removal or an absence (原引流管留置，现已拔除) speaks of the one before.
                out = [replace(c, cue=Cue.NEGATED) if c.clause_no == out[-1].clause_no and c.normalized else c
                       for c in out]
            out.extend(Clause(number, part_no, text, cue, normalized, boilerplate)
                       for part_no, (text, cue, normalized, boilerplate) in enumerate(parts))
            last = parts[-1][1]
            carry = last if last in (Cue.NEGATED, Cue.UNCERTAIN) else None
        return out
