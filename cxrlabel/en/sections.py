"""Choosing which report sections are labelled, keeping character offsets into the report."""
from __future__ import annotations

import re

POOLED, MERGED = "pooled", "findings+impression"
# what `default` means: the best choice on the Open-i tuning half (README, "Label English reports")
DEFAULT = POOLED
SECTION_CHOICES = ("default", POOLED, MERGED, "impression-or-all", "impression", "findings", "findings,impression", "all")

# Known header names, longest first so "findings and impression" is not read as "findings".
_NAMES = (r"findings? and impressions?|impressions?|conclusions?|findings?|opinions?|summary|"
          r"clinical (?:history|information|indications?)|history|indications?|"
          r"reasons? for (?:examination|exam|study)|comparisons?|techniques?|examination|exam|procedure|"
          r"recommendations?|notification")
# With a colon: at the start of the text, a line or a sentence; in capitals also mid-line
# ("Bony thorax is unremarkable IMPRESSION: ...").
_WITH_COLON = re.compile(rf"\b(?P<name>{_NAMES})\b[ \t]*:", re.IGNORECASE)
# Without a colon only at the start of a line: alone on it, before a dash, or in capitals before the
# text resumes ("IMPRESSION 1. ..."), so that prose such as "Findings consistent with edema" stays prose.
_NO_COLON = re.compile(rf"^[ \t]*(?P<name>{_NAMES})\b[ \t]*(?P<dash>-+(?=[ \t]|$)[ \t]*)?(?P<alone>$)?",
                       re.IGNORECASE | re.MULTILINE)
_RESUMES = re.compile(r"\d|[A-Z]?[a-z]")
_KIND = {"impression": "impression", "conclusion": "impression", "opinion": "impression", "summary": "impression",
         "finding": "findings"}
_BOTH = "findings and impression"  # one section that is both


def _kind(name: str) -> str:
    name = " ".join(name.lower().split())
    if " and " in name and name.startswith("finding"):
        return _BOTH
    return _KIND.get(name.rstrip("s"), "other")


def _headers(text: str) -> list[tuple[int, int, str]]:
    """(header start, body start, kind) for each header, in text order."""
    marks = {}
    for m in _WITH_COLON.finditer(text):
        before = text[:m.start()].rstrip(" \t")
        if not before or before[-1] in "\n.;" or m.group("name").isupper():
            marks[m.start("name")] = (m.end(), _kind(m.group("name")))
    for m in _NO_COLON.finditer(text):
        if m.start("name") in marks:
            continue
        name = m.group("name")
        if m.group("alone") is not None or m.group("dash") or (name.isupper() and _RESUMES.match(text, m.end())):
            marks[m.start("name")] = (m.end(), _kind(name))
    return [(start, body, kind) for start, (body, kind) in sorted(marks.items())]


def split_sections(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) for each headed section; text before the first header is kind 'preamble'.

    Kinds: impression (also CONCLUSION, OPINION, SUMMARY), findings, 'findings and impression',
    other (HISTORY, INDICATION, REASON FOR EXAM, COMPARISON, TECHNIQUE, ...) and preamble."""
    marks = _headers(text)
    sections: list[tuple[str, int, int]] = []
    first = marks[0][0] if marks else len(text)
    if text[:first].strip():
        sections.append(("preamble", 0, first))
    for n, (_, body_start, kind) in enumerate(marks):
        body_end = marks[n + 1][0] if n + 1 < len(marks) else len(text)
        sections.append((kind, body_start, body_end))
    return sections


def ranked(text: str, choice: str = "default") -> list[tuple[int, int, int]]:
    """(start, end, rank) of the text to label. Only findings+impression ranks: the impression (rank 0)
    decides each observation it mentions, the findings and unheaded text (rank 1) fill in the rest.
    Every other choice gives rank 0 throughout, so its text is pooled with CheXpert's precedence.

    pooled (the default): impression, findings and text before the first header; HISTORY, INDICATION,
    REASON FOR EXAM, COMPARISON, TECHNIQUE and the like say nothing about the image and are left out.
    impression-or-all: the impression when the report has one, else the whole text.
    impression / findings / findings,impression: those sections only (nothing when absent).
    all: the whole text.
    """
    choice = DEFAULT if choice == "default" else choice
    if choice == "all":
        return [(0, len(text), 0)]
    sections = split_sections(text)
    if choice in (POOLED, MERGED):
        rank = {"impression": 0, _BOTH: 0, "findings": 1, "preamble": 1}
        return [(s, e, rank[kind] if choice == MERGED else 0) for kind, s, e in sections if kind in rank]
    if choice == "impression-or-all":
        spans = [(s, e, 0) for kind, s, e in sections if kind in ("impression", _BOTH)]
        return spans or [(0, len(text), 0)]
    wanted = set(choice.split(",")) | {_BOTH}
    return [(s, e, 0) for kind, s, e in sections if kind in wanted]


def select(text: str, choice: str = "default") -> list[tuple[int, int]]:
    """Character spans of the text to label, in text order (see `ranked`)."""
    return [(s, e) for s, e, _ in ranked(text, choice)]
