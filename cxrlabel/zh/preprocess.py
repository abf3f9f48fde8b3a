"""From one diagnosis to its clauses: split, drop boilerplate, read cues, normalise, segment.

This is shared by `mine` and `label`, so a clause is treated identically when the clusters
are learnt and when new reports are assigned to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .clauses import split_clauses
from .cues import Cue, CueMatcher
from .data_files import ZhData
from .normalize import laterality_pattern, strip_laterality, strip_numbers
from .segment import Segmenter


@dataclass(frozen=True)
class Clause:
    """One clause of a report. `normalized` is empty when nothing clusterable is left."""

    clause_no: int  # position among all clauses of the report, boilerplate included
    text: str  # half-width, whitespace-tidied clause as written
    cue: Cue
    normalized: str  # cue-, number- (and optionally laterality-) free text fed to clustering
    boilerplate: bool


class ClausePreprocessor:
    """Holds the word lists and the segmenter; `clauses()` is the only entry point."""

    def __init__(self, data: ZhData, drop_laterality: bool = False, cache_size: int = 1 << 18) -> None:
        self.data = data
        self.drop_laterality = drop_laterality
        self.cues = CueMatcher(data.negation, data.uncertainty)
        self.segmenter = Segmenter(data.userdict)
        self._boilerplate = tuple(sorted(set(data.boilerplate), key=len, reverse=True))
        self._laterality = laterality_pattern(data.laterality) if drop_laterality else None
        # Archives repeat the same clause thousands of times; cache the per-clause work.
        self._one = lru_cache(maxsize=cache_size)(self._normalize_one)
        self.tokens = lru_cache(maxsize=cache_size)(self._tokens)

    def _normalize_one(self, text: str) -> tuple[Cue, str, bool]:
        stripped = strip_numbers(text)
        if stripped.startswith(self._boilerplate):
            return Cue.NONE, "", True
        cue, without_cues = self.cues.classify(stripped)
        normalized = strip_laterality(strip_numbers(without_cues), self._laterality)
        return cue, "".join(self.tokens(normalized)), False

    def _tokens(self, normalized: str) -> tuple[str, ...]:
        return tuple(self.segmenter.tokens(normalized))

    def clauses(self, report: str) -> list[Clause]:
        """Every clause of one diagnosis, in order."""
        out = []
        for number, text in enumerate(split_clauses(report)):
            cue, normalized, boilerplate = self._one(text)
            out.append(Clause(number, text, cue, normalized, boilerplate))
        return out
