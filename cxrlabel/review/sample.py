"""Draw the reports worth reviewing: a stratified sample in which every report's inclusion probability is
known exactly, so 1/p weights carry what the reviewer finds back to the whole archive.

Each report holds one predicted class (1.0 / 0.0 / -1.0 / blank) per observation, so it sits in 14 cells
at once. It is placed in one design stratum: its rarest cell (the (observation, class) pair with the
fewest reports in the archive), split further by whether the labeler was least sure of it. A report
with a rare positive thus lands in that positive's stratum. Each stratum gets a share of the fixed
sample size -n (by default in proportion to the square root of its size, so rare strata get far more
than their share and the common ones still some) and a simple random sample of that many reports:
inclusion probability = drawn / size, exactly. The sample is then shuffled into review order, so a
review stopped half-way is still a random part of every stratum.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import UserError
from ..scoring import _labels
from ..tables import WHOLE_CHUNK, ChunkedTable, describe_columns, find_column
from .settings import ALLOCATIONS, DEFAULT_UNCERTAIN_SHARE, ROW_ID

if TYPE_CHECKING:  # the zh labeler (jieba, rapidfuzz) loads only for zh label output
    from ..zh.label import ReviewedClusters

CLASS_VALUES = (1.0, 0.0, -1.0)  # class codes 0, 1, 2; blank is code 3
CLASS_NAMES = ("1", "0", "-1", "blank")
BLANK = 3
ZH_EXTRA = ("n_labels", "single_label", "unassigned")  # what `zh label` writes after its label columns


def class_codes(values: np.ndarray) -> np.ndarray:
    """Label values (1.0, 0.0, -1.0, NaN) as class codes 0, 1, 2, 3."""
    codes = np.full(values.shape, BLANK, dtype=np.int8)
    for code, value in enumerate(CLASS_VALUES):
        codes[values == value] = code
    return codes


@dataclass
class LabelTable:
    """A labels file as `extract` or `zh label` wrote it: ids, observation columns and their classes."""

    frame: pd.DataFrame  # as read: strings
    id_column: str
    ids: list[str]
    observations: list[str]
    classes: np.ndarray  # (reports, observations) class codes
    language: str  # en or zh

    @classmethod
    def read(cls, path: str | Path, id_column: str | None = None,
             observations: Sequence[str] | None = None) -> LabelTable:
        """A labels file, read without extract's Reports column (the report text: most of the file's size, and
        not needed here), which stays as an empty column so the file's layout is still recognised."""
        table = ChunkedTable(Path(path), header=True, chunk_size=WHOLE_CHUNK)
        columns = [str(c) for c in table.columns]
        kept = [c for c in columns if c != "Reports" or all(c in columns for c in ZH_EXTRA)]
        frames = [chunk.frame for chunk in table.chunks(kept)]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=kept, dtype=str)
        if len(kept) < len(columns):
            frame.insert(columns.index("Reports"), "Reports", "")
        return cls.from_frame(frame, str(path), id_column, observations)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, path: str, id_column: str | None = None,
                   observations: Sequence[str] | None = None) -> LabelTable:
        columns = [str(c) for c in frame.columns]
        language = "zh" if all(c in columns for c in ZH_EXTRA) else "en"
        if id_column is not None:
            id_column = find_column(frame, id_column, what="ids", setting="id_column")
        elif language == "zh":
            id_column = columns[0]  # zh label writes the id, then the text
        elif "Reports" in columns and columns.index("Reports") == 1:
            id_column = columns[0]  # extract writes the id (when given) before Reports
        if observations:
            missing = [o for o in observations if o not in columns]
            if missing:
                raise UserError(f"{path}: no column {missing[0]!r}; {describe_columns(columns)}")
            chosen = list(observations)
        else:
            chosen = _label_columns(frame, language, {id_column})
            if not chosen:
                raise UserError(f"{path}: no label columns (1.0, 0.0, -1.0 or blank) found; give the labels that "
                                f"cxrlabel extract or zh label wrote, or name them with $observations")
        values = np.column_stack([_labels(frame, o, path) for o in chosen])
        if id_column is None:
            ids = [str(i + 1) for i in range(len(frame))]
        else:
            ids = frame[id_column].astype(str).tolist()
            seen: set[str] = set()
            for row, rid in enumerate(ids):
                if rid in seen or not rid.strip() or rid == "nan":
                    what = "is blank" if not rid.strip() or rid == "nan" else "appears more than once"
                    raise UserError(f"{path}: row {row + 2}: the id in column {id_column!r} {what}; a sample needs "
                                    "one id per report (label with $id_column set to a unique column)")
                seen.add(rid)
        return cls(frame, id_column or ROW_ID, ids, chosen, class_codes(values), language)


def _label_columns(frame: pd.DataFrame, language: str, not_labels: set) -> list[str]:
    """The observation columns: after Reports (extract), between the text and n_labels (zh label), or, in a
    table of another shape, every column whose cells are all 1.0, 0.0, -1.0 or blank."""
    columns = [str(c) for c in frame.columns]
    if language == "zh":
        return columns[2:columns.index("n_labels")]
    if "Reports" in columns:
        return columns[columns.index("Reports") + 1:]
    chosen = []
    for column in columns:
        if column in not_labels:
            continue
        cells = frame[column].astype(str).str.strip()
        numbers = pd.to_numeric(cells.replace({"": "nan"}), errors="coerce")
        if (numbers.isin(CLASS_VALUES) | (cells.isin(("", "nan")) & numbers.isna())).all():
            chosen.append(column)
    return chosen


def least_sure(table: LabelTable, mentions: Path | None = None, compare: LabelTable | None = None,
               compare_path: str = "",
               near: tuple[ReviewedClusters, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where the labeler is least sure: (cells, reports). A cell is flagged where its label is -1.0, where an
    uncertainty rule decided a mention of it (the mentions file of `extract --mentions-out`) although another
    mention may have won, or where a second labelling (rule-only against spaCy, say) differs. A report is
    flagged where any of its cells is, or (zh label) where a clause part lay beyond --max-distance of every
    cluster and so was left unlabelled, or, given `near` (the labeler zh label ran with and a margin), where a
    clause part's nearest cluster lies within the margin of --max-distance, on either side."""
    cells = table.classes == CLASS_VALUES.index(-1.0)
    reports = np.zeros(len(table.ids), dtype=bool)
    if table.language == "zh":
        reports |= pd.to_numeric(table.frame["unassigned"], errors="coerce").fillna(0).to_numpy() > 0
    if mentions is not None:
        cells |= _hedged_mentions(table, mentions)
    if compare is not None:
        cells |= _disagreements(table, compare, compare_path)
    if near is not None:
        near_cells, near_reports = _near_max_distance(table, *near)
        cells, reports = cells | near_cells, reports | near_reports
    return cells, reports | cells.any(axis=1)


def _near_max_distance(table: LabelTable, labeler: ReviewedClusters,
                       margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Reports with a finding part whose nearest cluster lies within `margin` of the labeler's --max-distance: a
    slightly other threshold would label them otherwise. The cells flagged are that cluster's label and the
    label of parts beyond it."""
    if table.language != "zh":
        raise UserError("$label_map finds the clause parts near $max_distance in zh label output; these labels are "
                        "extract's")
    from ..zh.cues import Cue

    texts = table.frame[table.frame.columns[1]].fillna("").astype(str).tolist()  # zh label writes id, text, labels
    parts = [[c for c in labeler.pre.clauses(text) if not c.boilerplate and c.normalized and c.cue is not Cue.NORMAL
              and c.text not in labeler.overrides] for text in texts]
    where = labeler.nearest(list(dict.fromkeys(c.normalized for found in parts for c in found)))
    column_of = {o: j for j, o in enumerate(table.observations)}
    cells = np.zeros(table.classes.shape, dtype=bool)
    reports = np.zeros(len(texts), dtype=bool)
    for row, found in enumerate(parts):
        for part in found:
            center, distance = where[part.normalized]
            if abs(distance - labeler.max_distance) <= margin:
                reports[row] = True
                for label in (labeler.center_labels[center], labeler.unassigned_label):  # within, or beyond it
                    if label in column_of:
                        cells[row, column_of[label]] = True
    return cells, reports


def _hedged_mentions(table: LabelTable, path: Path) -> np.ndarray:
    """Cells where an uncertainty rule decided a mention. Without ids, extract names a report by its row from 0."""
    row_of = {rid: row for row, rid in enumerate(table.ids)}
    if table.id_column == ROW_ID and ROW_ID not in table.frame.columns:
        row_of = {str(row): row for row in range(len(table.ids))}
    column_of = {o: j for j, o in enumerate(table.observations)}
    flagged = np.zeros(table.classes.shape, dtype=bool)
    try:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    report, observation, label = str(record["report"]), record["observation"], record["label"]
                except (ValueError, KeyError, TypeError):
                    raise UserError(f"{path}: line {number} is not a mention record of extract --mentions-out") from None
                if report not in row_of:
                    raise UserError(f"{path}: line {number}: report {report!r} is not in the labels; give the mentions "
                                    "file written with these labels")
                if label == -1.0 and observation in column_of:
                    flagged[row_of[report], column_of[observation]] = True
    except OSError as exc:
        raise UserError(f"{path}: cannot read the mentions file ({exc.strerror or exc}); check $mentions") from None
    return flagged


def _disagreements(table: LabelTable, other: LabelTable, path: str) -> np.ndarray:
    row_of = {rid: row for row, rid in enumerate(other.ids)}
    missing = [rid for rid in table.ids if rid not in row_of]
    if missing or len(other.ids) != len(table.ids):
        raise UserError(f"{path}: its reports are not those of the labels ({len(missing)} ids missing); give $compare "
                        "the labels of the same reports by another parser")
    absent = [o for o in table.observations if o not in other.observations]
    if absent:
        raise UserError(f"{path}: no column {absent[0]!r}; $compare must label the same observations")
    rows = np.array([row_of[rid] for rid in table.ids])
    columns = [other.observations.index(o) for o in table.observations]
    return other.classes[np.ix_(rows, columns)] != table.classes


def allocate(sizes: np.ndarray, total: int, power: float) -> np.ndarray:
    """Reports drawn from each stratum: `total` in all, none more than its size, at least two where it has them
    (one each when the total is short), and otherwise in proportion to size ** power."""
    sizes = np.asarray(sizes, dtype=float)
    low = np.minimum(sizes, 2.0 if total >= 2 * len(sizes) else 1.0)
    share = sizes ** power

    def drawn(scale: float) -> np.ndarray:
        return np.clip(scale * share, low, sizes)

    lo, hi = 0.0, 1.0
    while drawn(hi).sum() < total:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if drawn(mid).sum() < total else (lo, mid)
    exact = drawn(hi)
    counts = np.floor(exact + 1e-9)
    left = int(round(total - counts.sum()))
    order = np.argsort(-(exact - counts), kind="stable")
    for i in order:
        if left <= 0:
            break
        if counts[i] < sizes[i]:
            counts[i] += 1
            left -= 1
    return counts.astype(int)


def rarest_cells(table: LabelTable) -> np.ndarray:
    """Each report's rarest cell: the observation whose predicted class has the fewest reports in the archive."""
    n_obs = table.classes.shape[1]
    counts = np.stack([np.bincount(table.classes[:, j], minlength=4) for j in range(n_obs)])  # (observations, 4)
    return np.argmin(counts[np.arange(n_obs), table.classes], axis=1)


def strata_of(classes: np.ndarray, rarest: np.ndarray, most: int) -> np.ndarray:
    """Each report's stratum, by its rarest cell, numbered in a fixed order; the smallest strata are merged
    pairwise until there are at most `most` of them, so that each can be drawn from."""
    _, strata = np.unique(rarest * 4 + classes[np.arange(len(classes)), rarest], return_inverse=True)
    while strata.max() + 1 > most:  # ties by number, so the merge is reproducible
        smallest = np.argsort(np.bincount(strata), kind="stable")[:2]
        strata[strata == smallest.max()] = smallest.min()
        _, strata = np.unique(strata, return_inverse=True)
    return strata


def stratum_name(table: LabelTable, rows: np.ndarray, rarest: np.ndarray) -> str:
    """A stratum named by its reports' rarest cells, e.g. `Pneumothorax=1`."""
    keys, first = np.unique(rarest[rows] * 4 + table.classes[rows, rarest[rows]], return_index=True)
    names = [f"{table.observations[key // 4]}={CLASS_NAMES[key % 4]}" for key in keys[np.argsort(first)]]
    return " | ".join(names[:3]) + (f" | {len(names) - 3} more" if len(names) > 3 else "")


@dataclass
class Drawn:
    """A sample: `frame` is sample.csv (id, inclusion_probability, reason, focus, the label columns as read)
    in review order; `strata` describes the design for sample.json."""

    frame: pd.DataFrame
    strata: list[dict]


def draw_sample(table: LabelTable, n: int, seed: int, allocation: str = "sqrt",
                least_sure_cells: np.ndarray | None = None, least_sure_reports: np.ndarray | None = None,
                uncertain_share: float = DEFAULT_UNCERTAIN_SHARE) -> Drawn:
    """Draw `n` reports (all of them when the archive holds no more). With `least_sure_reports`, those reports
    form strata of their own and get `uncertain_share` of `n` (or all of them, when fewer)."""
    if allocation not in ALLOCATIONS:
        raise UserError(f"$allocation {allocation!r} is not one of {', '.join(ALLOCATIONS)}")
    total = len(table.ids)
    if n < 1:
        raise UserError(f"$n must be at least 1, not {n}")
    if not 0 < uncertain_share < 1:
        raise UserError(f"$uncertain_share must lie between 0 and 1, not {uncertain_share}")
    n = min(n, total)
    flagged = least_sure_reports if least_sure_reports is not None and least_sure_reports.any() else None
    parts = [np.ones(total, dtype=bool)] if flagged is None else [flagged, ~flagged]
    if flagged is None:
        budgets = [n]
    else:
        wanted = min(int(flagged.sum()), max(1, round(uncertain_share * n)))
        budgets = [wanted, n - wanted]
        if budgets[1] > (~flagged).sum():  # the others are too few: the rest goes back to the least sure
            budgets = [n - int((~flagged).sum()), int((~flagged).sum())]
    rng = np.random.default_rng(seed)
    rarest = rarest_cells(table)
    chosen, probability, stratum_of, strata = [], np.zeros(total), np.full(total, -1), []
    for part, budget in zip(parts, budgets):
        rows = np.flatnonzero(part)
        if budget == 0 or not len(rows):
            if len(rows):  # every report must be drawable: a part without a budget cannot be
                raise UserError(f"$n {n} leaves nothing for {len(rows)} reports; give a larger $n")
            continue
        local = strata_of(table.classes[rows], rarest[rows], budget)
        sizes = np.bincount(local)
        counts = allocate(sizes, budget, ALLOCATIONS[allocation])
        for h, (size, count) in enumerate(zip(sizes, counts)):
            members = rows[local == h]
            picked = np.sort(rng.choice(members, size=count, replace=False))
            chosen.append(picked)
            probability[members] = count / size
            stratum_of[members] = len(strata)
            strata.append({"name": stratum_name(table, members, rarest), "reason": _reason(flagged, members),
                           "population": int(size), "drawn": int(count)})
    order = rng.permutation(np.concatenate(chosen))
    focus = _focus(table, order, rarest, least_sure_cells if flagged is not None else None)
    frame = pd.DataFrame({table.id_column: [table.ids[i] for i in order],
                          "inclusion_probability": probability[order],
                          "reason": [_reason(flagged, np.array([i])) for i in order],
                          "focus": focus})
    labels = table.frame[table.observations].iloc[order].reset_index(drop=True)
    frame = pd.concat([frame, labels], axis=1)
    for h, stratum in enumerate(strata):
        stratum["ids"] = [table.ids[i] for i in order if stratum_of[i] == h]
    return Drawn(frame, strata)


def _reason(flagged: np.ndarray | None, rows: np.ndarray) -> str:
    return "uncertain" if flagged is not None and flagged[rows[0]] else "stratified"


def _focus(table: LabelTable, rows: np.ndarray, rarest: np.ndarray, cells: np.ndarray | None) -> list[str]:
    """The observations each report was drawn for: its rarest cell's, and those the labeler was least sure of."""
    focus = []
    for i in rows:
        chosen = {int(rarest[i])} | (set(np.flatnonzero(cells[i]).tolist()) if cells is not None else set())
        focus.append(";".join(table.observations[j] for j in sorted(chosen)))
    return focus
