"""Splitting a diagnosis into clauses: numbered items, sentence and clause punctuation, lines."""
from __future__ import annotations

import re

from .normalize import tidy_whitespace, to_halfwidth

# Item numbers: "1." "1、" "(1)" "①" "⑴" "⒈" "一、". A digit counts as an item number only
# when it is not part of a decimal (0.5cm), a range (第5、6肋) or a code (T12、L1).
_ITEM = re.compile(
    r"(?<![\dA-Za-z第.])\d{1,2}\s*[.、](?!\d)"
    r"|\(\s*\d{1,2}\s*\)"
    r"|[\u2460-\u249b]"
    r"|(?<![\u4e00-\u9fff])[一二三四五六七八九十][、.]"
)
# Clause breaks after half-width folding: 。；，, line breaks, and ":" after headings.
_BREAK = re.compile(r"[。;,:!\n\r]+")
# A question mark ends a question: 呼气相？双肺纹理较强 is two clauses, the mark staying with the first (its cue).
_AFTER_QUESTION = re.compile(r"(?<=[^?\s]\?)(?=[^?])")


def split_clauses(text: str) -> list[str]:
    """Return the non-empty clauses of one diagnosis, half-width folded and whitespace-tidied."""
    if not text:
        return []
    text = _ITEM.sub("\n", to_halfwidth(text))
    pieces = (piece for part in _BREAK.split(text) for piece in _AFTER_QUESTION.split(part))
    return [clause for clause in (tidy_whitespace(piece) for piece in pieces) if clause]
