"""Splitting a clause into parts that each hold one finding, so a cue governs only its own part.

Two kinds of split point, both read from rules/zh:
- conjunctions (、 及 和 伴 …) and brackets: 主动脉硬化、心影未见增大 -> 主动脉硬化 | 心影未见增大, and
  心脏术后改变（封堵器置入术后改变） -> 心脏术后改变 | 封堵器置入术后改变. A side shorter than
  MIN_CHARS content characters is a shared predicate or subject (两肺纹理增多、增粗, 心、肺、膈未见异常)
  and stays joined; after a leading cue (未见胸腔积液及气胸) a side of two characters is a finding of its own,
  and it inherits that cue;
- a clause that opens with a list word (如, 包括: rules/zh/list_openers.txt), or lists alternatives
  (或: disjunctions.txt) with no cue of its own, takes the negation or uncertainty of the clause
  before it: 没有急性异常的迹象，如气胸或胸腔积液 negates both; alternatives with no cue to take
  (陈旧性病灶或慢性炎症) are each uncertain, since either may be the finding;
- a negation or uncertainty cue right after a stated finding (finding_ends.txt) with text after it:
  双肺纹理增多未见明确实变 -> 双肺纹理增多 | 未见明确实变.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .cues import Cue, CueMatcher
from .normalize import strip_numbers

MIN_CHARS = 3
MIN_CHARS_AFTER_CUE = 2
_CONTENT = re.compile(r"[A-Za-z\u3400-\u9fff]")
_LIST_MARK = re.compile(r"(?<!\d)、(?!\d)|[()\[\]【】]")  # a list mark, or a bracket around an aside
_SCOPED = (Cue.NEGATED, Cue.UNCERTAIN)


@dataclass(frozen=True)
class Part:
    text: str
    cue: Cue
    rest: str  # the text with its cues removed


def _unbracket(piece: str) -> str:
    """A piece cut at a bracket loses the bracket left open or closed at its edge (封堵术后改变) -> 封堵术后改变)."""
    for opening, closing in ("()", "[]", "【】"):
        if piece.endswith(closing) and opening not in piece:
            piece = piece[:-1]
        if piece.startswith(opening) and closing not in piece:
            piece = piece[1:]
    return piece


def content_chars(text: str) -> int:
    return len(_CONTENT.findall(strip_numbers(text)))


class PartSplitter:
    """Holds the conjunction and finding-ending lists; `split()` is the entry point."""

    def __init__(self, cues: CueMatcher, conjunctions: Iterable[str], finding_ends: Iterable[str],
                 tokens: Callable[[str], list[str]], list_openers: Iterable[str] = (),
                 disjunctions: Iterable[str] = (), list_closers: Iterable[str] = (), places: Iterable[str] = ()) -> None:
        self.cues = cues
        ordered = sorted({w for w in places if w}, key=len, reverse=True)
        self._places = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._closers = tuple(sorted(set(list_closers), key=len, reverse=True))
        self._disjunctions = set(disjunctions)
        self._openers = tuple(sorted(set(list_openers), key=len, reverse=True))
        self._words = {w for w in conjunctions if w != "、"}
        self._ends = tuple(sorted(set(finding_ends), key=len, reverse=True))
        self._tokens = tokens

    def _conjunction_spans(self, text: str) -> list[tuple[int, int]]:
        spans = [m.span() for m in _LIST_MARK.finditer(text)]
        at = 0
        for token in self._tokens(text):
            at = text.find(token, at)
            if token in self._words:
                spans.append((at, at + len(token)))
            at += len(token)
        return sorted(spans)

    def _place_only(self, piece: str) -> bool:
        """A piece that names where and not what (右上肺野, 右侧颈、胸): it shares the finding after it, as in
        右侧颈、胸、腹壁多发积气 and 右上肺野及右肺门见斑片影."""
        bare = strip_numbers(self._places.sub("", piece) if self._places else piece)
        return content_chars(bare) < MIN_CHARS and not bare.endswith(self._ends)

    def _leading_cue(self, text: str) -> Cue | None:
        """The negation or uncertainty cue a text opens with, discourse frames before it skipped."""
        at = 0
        for m in self.cues.matches(text):
            if m.start != at:
                return None
            if m.kind is not Cue.FRAME:
                return m.kind if m.kind in _SCOPED else None
            at = m.end
        return None

    def continues_list(self, text: str) -> str | None:
        """A clause that goes on with the list of the one before: it opens with a list word (如气胸或胸腔积液
        -> 气胸或胸腔积液, the word removed), lists alternatives (胸腔积液或气胸) or closes the list (胸腔积液的迹象)
        with no cue of its own."""
        opener = next((w for w in self._openers if text.startswith(w)), None)
        if opener:
            return text[len(opener):]
        listed = bool(self._disjunctions & set(self._tokens(text))) or text.endswith(self._closers)
        if listed and not any(m.kind in _SCOPED for m in self.cues.matches(text)):
            return text
        return None

    def _pieces(self, text: str, carry: Cue | None) -> list[tuple[str, Cue | None, bool]]:
        """Conjunction pieces, short ones joined back; each with the leading cue it inherits, if any, and
        whether it is one of alternatives (A或B: either may be the finding, so neither is stated)."""
        starts, stops = [0], []
        for start, end in self._conjunction_spans(text):
            stops.append(start)
            starts.append(end)
        stops.append(len(text))
        merged: list[list[int]] = []  # [start, stop] of each piece kept, conjunctions inside joined ones
        inherit: list[Cue | None] = []
        hedged: list[bool] = []
        for at, (start, stop) in enumerate(zip(starts, stops)):
            piece = text[start:stop]
            if merged:
                previous = text[merged[-1][0]:merged[-1][1]]
                alternative = text[stops[at - 1]:start] in self._disjunctions
                lead = inherit[-1] or self._leading_cue(previous)
                need = MIN_CHARS_AFTER_CUE if lead or alternative else MIN_CHARS
                hedged[-1] = hedged[-1] or alternative
                if content_chars(piece) >= need and content_chars(previous) >= need and not self._place_only(previous):
                    own = any(m.kind in _SCOPED for m in self.cues.matches(piece))
                    merged.append([start, stop])
                    inherit.append(None if own else lead)
                    hedged.append(alternative)
                else:
                    merged[-1][1] = stop
            else:
                merged.append([start, stop])
                inherit.append(carry)
                hedged.append(False)
        return [(_unbracket(text[s:e]), lead, alt) for (s, e), lead, alt in zip(merged, inherit, hedged)]

    def _cue_splits(self, piece: str) -> list[str]:
        """Split before a scoped cue that follows a stated finding and governs text of its own."""
        out, at = [], 0
        for m in self.cues.matches(piece):
            if m.kind not in _SCOPED or m.start <= at:
                continue
            before = strip_numbers(piece[at:m.start])
            if before.endswith(self._ends) and content_chars(before) >= MIN_CHARS \
                    and content_chars(piece[m.end:]) >= MIN_CHARS_AFTER_CUE:
                out.append(piece[at:m.start])
                at = m.start
        out.append(piece[at:])
        return out

    def shared_subject(self, rest: str) -> list[str]:
        """A subject with several predicates listed after it, each a finding of its own: 主动脉增宽、硬化 ->
        主动脉增宽, 主动脉硬化 (the first predicate's subject lent to the others); any other text alone."""
        first, *others = _LIST_MARK.split(rest)
        end = next((e for e in self._ends if len(e) > 1 and first.endswith(e)), None)
        if not others or end is None or first == end or not all(
                content_chars(o) < MIN_CHARS and o.endswith(self._ends) for o in others):
            return [rest]
        return [first, *(first[:-len(end)] + other for other in others)]

    def split(self, text: str, carry: Cue | None = None) -> list[Part]:
        """The parts of one clause; `carry` is the cue a clause opening a list takes from the one before. A
        part whose predicates share one subject (主动脉增宽、硬化) gives one part per predicate, written alike."""
        parts = []
        for piece, lead, alternative in self._pieces(text, carry):
            for number, sub in enumerate(self._cue_splits(piece)):
                cue, rest = self.cues.classify(sub)
                if cue is Cue.NONE and lead is not None and number == 0:
                    cue = lead
                if cue is Cue.NONE and alternative:
                    cue = Cue.UNCERTAIN
                parts.extend(Part(sub, cue, each) for each in self.shared_subject(rest))
        return parts
