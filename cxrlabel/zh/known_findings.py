"""Prefilling cluster labels from the known-findings lexicon; a person reviews them after."""
from __future__ import annotations

from collections.abc import Sequence


def suggest_label(medoid: str, known: Sequence[tuple[str, str]]) -> str:
    """The label of the longest known pattern inside the medoid (earliest listed on a tie);
    else the medoid itself."""
    hits = [(len(pattern), -order, label) for order, (pattern, label) in enumerate(known) if pattern in medoid]
    return max(hits)[2] if hits else medoid
