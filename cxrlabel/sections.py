"""Choosing which report sections are labelled, keeping character offsets into the report."""
from __future__ import annotations

import re

SECTION_CHOICES = ("default", "impression", "findings", "findings,impression", "all")

# A header is a known name at the start of the text or of a line/sentence, followed by a colon.
_HEADER = re.compile(
    r"(?:^|(?<=[\n.;]))\s*(?P<name>impressions?|conclusions?|findings?|opinion|summary|"
    r"clinical (?:history|information|indication)|history|indications?|reason for (?:exam|study)|"
    r"comparisons?|technique|examination|exam|procedure|recommendations?|notification)\s*:",
    re.IGNORECASE,
)
_KIND = {"impression": "impression", "impressions": "impression", "conclusion": "impression",
         "conclusions": "impression", "opinion": "impression", "summary": "impression",
         "finding": "findings", "findings": "findings"}


def split_sections(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) for each headed section; text before the first header is kind 'preamble'."""
    marks = [(m.start("name"), m.end(), _KIND.get(m.group("name").lower(), "other")) for m in _HEADER.finditer(text)]
    sections: list[tuple[str, int, int]] = []
    first = marks[0][0] if marks else len(text)
    if text[:first].strip():
        sections.append(("preamble", 0, first))
    for n, (_, body_start, kind) in enumerate(marks):
        body_end = marks[n + 1][0] if n + 1 < len(marks) else len(text)
        sections.append((kind, body_start, body_end))
    return sections


def select(text: str, choice: str = "default") -> list[tuple[int, int]]:
    """Character spans of the text to label.

    default: the impression when the report has one, else the whole text.
    impression / findings / findings,impression: those sections only (nothing when absent).
    all: the whole text.
    """
    if choice == "all":
        return [(0, len(text))]
    sections = split_sections(text)
    if choice == "default":
        spans = [(s, e) for kind, s, e in sections if kind == "impression"]
        return spans or [(0, len(text))]
    wanted = set(choice.split(","))
    return [(s, e) for kind, s, e in sections if kind in wanted]
