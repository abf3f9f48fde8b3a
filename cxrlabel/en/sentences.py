"""Sentence splitting: NLTK's Punkt with its English parameters plus our radiology abbreviations.

Numbered impressions ("1. Cardiomegaly 2. No effusion") are split at their numbers first, because
reports often leave out the full stop between items.

Punkt sees at most MAX_SPAN characters at a time, so no sentence is longer: nltk runs each regex under a
5-second wall-clock limit over the whole text it is given, and a report of megabytes ran past it (more so
on a busy machine). Bounded, the work per call is milliseconds whatever the report's length or the load,
and reports shorter than MAX_SPAN are split as before.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from punkt.data import load_module

from ..memo import Memo

# A list number: start of text, or after whitespace/full stop, then "1." or "2)" and a space.
_NUMBER = re.compile(r"(?:(?<=^)|(?<=[\s.;:]))\(?\d{1,2}[.)](?=\s+\S)(?!\d)")
_BARE_NUMBER = re.compile(r"\(?\d{1,2}[.)]")
DECISIONS_KEPT = 100_000
# A paragraph break, a bullet, or a doubled full stop before a capital ("effusion.. Osseous"): Punkt reads ".."
# as an ellipsis inside a sentence, and the next sentence's words would fall in the scope of this one's cues.
_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*•]\s)|(?<![.])\.\.\s+(?=[A-Z])")
MAX_SPAN = 5_000  # characters Punkt sees at once: far beyond any report section, milliseconds of work
# Where a longer span is cut, best first: after a sentence end, at a line break, at any space.
_CUTS = (re.compile(r"[.!?;]\s"), re.compile(r"\n"), re.compile(r"\s"))


def _abbreviations(path: Path) -> set[str]:
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower().rstrip(".")
        if line:
            words.add(line)
    return words


@lru_cache(maxsize=1)
def _memo_punkt() -> type:
    """nltk is imported on first use, not with this module: it imports much else (scipy among them),
    which a labelling worker hides before its first sentence (archive.local_engine.start_worker)."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    class MemoPunkt(PunktSentenceTokenizer):
        """Punkt decides each candidate break from a short context string alone ("normal. The"), through
        this method and the fixed parameters; reports repeat those contexts, so each is decided once."""

        def __init__(self, params) -> None:
            super().__init__(params)
            self._decisions: Memo[str, bool] = Memo(DECISIONS_KEPT)

        def text_contains_sentbreak(self, text: str) -> bool:
            return self._decisions.recall(text, super().text_contains_sentbreak)

    return MemoPunkt


@lru_cache(maxsize=4)
def tokenizer(abbreviations_file: str | None = None):
    """A Punkt tokenizer built from NLTK's English parameters (no download) plus extra abbreviations."""
    from nltk.tokenize.punkt import PunktParameters

    english = load_module("english")
    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    for word, flags in english.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    if abbreviations_file:
        params.abbrev_types |= _abbreviations(Path(abbreviations_file))
    return _memo_punkt()(params)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span at list numbers and paragraph breaks, before Punkt sees it."""
    cuts = {start, end}
    chunk = text[start:end]
    for m in _NUMBER.finditer(chunk):
        cuts.update((start + m.start(), start + m.end()))
    cuts.update(start + m.end() for m in _BREAK.finditer(chunk))
    ordered = sorted(cuts)
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if text[a:b].strip() and not _BARE_NUMBER.fullmatch(text[a:b].strip())]


def _cut(text: str, start: int, stop: int) -> int:
    """Where to end a span that must end by `stop`: after the last sentence end, line break or space from
    `start` on, the best kind found (so a cut falls where Punkt would most likely cut too), else at `stop`."""
    for pattern in _CUTS:
        last = None
        for last in pattern.finditer(text, start, stop):
            pass
        if last is not None:
            return last.end()
    return stop


def _bounded(text: str, start: int, end: int, limit: int = MAX_SPAN) -> list[tuple[int, int]]:
    """The span as spans of at most `limit` characters, each cut in its second half (see `_cut`)."""
    spans = []
    while end - start > limit:
        cut = _cut(text, start + limit // 2, start + limit)
        spans.append((start, cut))
        start = cut
    return spans + [(start, end)]


def split(text: str, spans: list[tuple[int, int]], abbreviations_file: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) inside the given spans of `text`, stripped of outer whitespace."""
    punkt = tokenizer(abbreviations_file)
    out: list[tuple[int, int]] = []
    for span_start, span_end in spans:
        for a, b in (bounded for piece in _pieces(text, span_start, span_end) for bounded in _bounded(text, *piece)):
            for s, e in punkt.span_tokenize(text[a:b]):
                s, e = a + s, a + e
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                if e > s:
                    out.append((s, e))
    return out
