"""The known-findings lexicon: prefilling cluster labels, steering the distance, naming output columns."""
from __future__ import annotations

from collections.abc import Sequence

from .data_files import ZhData
from .distance import FindingGuide

NORMAL = "No Finding"  # the report-level normal label, as CheXpert names it


def suggest_label(medoid: str, known: Sequence[tuple[str, str]]) -> str:
    """The label of the longest known pattern inside the medoid (earliest listed on a tie);
    else the medoid itself."""
    hits = [(len(pattern), -order, label) for order, (pattern, label) in enumerate(known) if pattern in medoid]
    return max(hits)[2] if hits else medoid


def output_name(label: str, chexpert_names: Sequence[tuple[str, str]]) -> str:
    """The CheXpert column a label corresponds to (正常 -> No Finding), else the label itself."""
    names = {key.casefold(): name for key, name in chexpert_names}
    names.update({name.casefold(): name for _, name in chexpert_names})
    return names.get(label.strip().casefold(), label.strip())


def finding_guide(data: ZhData) -> FindingGuide:
    """A guide over the known findings; normal patterns steer nothing, since normal is no finding."""
    normal = {label for _, label in data.known_findings if output_name(label, data.chexpert_names) == NORMAL}
    return FindingGuide(data.known_findings, skip_labels=normal, groups=data.finding_groups)
