"""The diagnosis section of a whole Chinese report (诊断/印象/结论 …), findings (所见) left out.

Headings and their kinds come from lexicons/zh/sections.tsv. 临床诊断 (the referring diagnosis) is
its own kind, so it is never taken for the radiologist's 诊断: the longest heading wins.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import UserError
from ..tables import TEXT_COLUMN_NAMES
from .normalize import to_halfwidth

# The column a table holds its reports in, when not named: diagnosis columns first, so a table that has both
# 诊断意见 and 报告内容 is labelled from its diagnosis.
TEXT_COLUMNS = ("诊断", "诊断意见", "影像诊断", "影像学诊断", "诊断结果", "印象", "检查结论", "结论", "报告内容", "报告",
                *TEXT_COLUMN_NAMES)
KINDS = ("diagnosis", "findings", "other")


class SectionFinder:
    def __init__(self, headings: Sequence[tuple[str, str]]) -> None:
        bad = [kind for _, kind in headings if kind not in KINDS]
        if bad:
            raise UserError(f"sections.tsv: kind {bad[0]!r} is not one of {', '.join(KINDS)}; fix it")
        self._kinds = dict(headings)
        ordered = sorted(self._kinds, key=len, reverse=True)
        # A heading opens the text or a line (after an item number or bracket at most) and ends in a colon or
        # a line break, so 诊断 inside a sentence is no heading.
        self._pattern = re.compile(r"(?:^|(?<=[\n\r]))[\s【\[(]*(" + "|".join(map(re.escape, ordered))
                                   + r")[\s】\])]*(?::|\n|\r)") if ordered else None

    def diagnosis(self, text: str) -> str:
        """The diagnosis sections joined; without one, the unheaded text, else the findings sections (never
        the clinical history); a report without headings whole."""
        folded = to_halfwidth(text)
        found = list(self._pattern.finditer(folded)) if self._pattern else []
        if not found:
            return text
        pieces: dict[str, list[str]] = {"diagnosis": [], "findings": [], "other": [], "unheaded": []}
        pieces["unheaded"].append(folded[:found[0].start()])
        for match, after in zip(found, [*found[1:], None]):
            body = folded[match.end():after.start() if after else len(folded)]
            pieces[self._kinds[match.group(1)]].append(body)
        for kind in ("diagnosis", "unheaded", "findings"):
            kept = "\n".join(p for p in pieces[kind] if p.strip())
            if kept:
                return kept
        return ""
