"""Labelling reports with reviewed clusters: pure functions from a batch of texts to labels.

`label_reports` holds no I/O and no global state beyond the `ReviewedClusters` it is given, so a
multiprocessing pool or Dask can call it on chunks of an archive.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from ..tables import UnknownEncoding, looks_like_name, read_table
from .cues import CUE_VALUE, Cue
from .distance import Metric, TokenEncoder
from .known_findings import NORMAL, finding_guide, output_name
from .model_file import MODEL_FILE, SavedModel, load_model
from .normalize import tidy_whitespace, to_halfwidth
from .preprocess import Clause, ClausePreprocessor
from .settings import ALL_CORES, OVERRIDES_FILE, UNASSIGNED_ROW

DROP = "-"
EXTRA_COLUMNS = ("n_labels", "single_label", "unassigned")
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, CSV UTF-8) and run again"
LabelMap = dict[int | str, str | None]  # cluster_id (or UNASSIGNED_ROW) -> label, None to drop


def read_review_file(path: Path, needed: tuple[str, ...], what: str, encoding: str | None = None) -> pd.DataFrame:
    """A file a reviewer edits (the label map, the clause overrides): always with a header row, its columns
    named from `needed` when one is missing. `encoding`: given only where the command's $encoding reads this
    file (zh split); elsewhere the fix for an encoding not detected is to save the file as UTF-8."""
    try:
        frame = read_table(path, encoding=encoding, header=True).frame
    except UnknownEncoding:
        raise UserError(f"{path}: cannot tell which encoding this file uses; {SAVE_AS_UTF8}") from None
    missing = [c for c in needed if c not in frame.columns]
    if not missing:
        return frame
    names = [str(c) for c in frame.columns]
    sep = next((s for s in (";", "\t", "|") if len(names) == 1 and s in names[0]), None)
    if sep:
        raise UserError(f"{path}: its columns are separated by {sep!r}, not commas (as Excel saves CSV in some "
                        f"languages); {what} needs the columns {', '.join(needed)} separated by commas: save it as "
                        "comma-separated UTF-8 (in Excel: Save As, CSV UTF-8) and run again")
    found = (f"the columns are: {', '.join(repr(n) for n in names)}" if all(looks_like_name(n) for n in names)
             else "its first line is not a header")
    raise UserError(f"{path}: missing column(s) {', '.join(missing)}; {what} needs a header line "
                    f"{','.join(needed)} ({found})")


def read_overrides(path: Path) -> dict[str, str | None]:
    """Clause part as written -> label (None to drop), from a reviewer's clause_overrides.csv; the n-th
    entry is on line n + 2 (each line is one entry, or an error)."""
    frame = read_review_file(path, ("clause", "label"), "the clause overrides file")
    overrides: dict[str, str | None] = {}
    for line, (clause, label) in enumerate(zip(frame["clause"], frame["label"]), start=2):
        key, label = tidy_whitespace(to_halfwidth(str(clause))), str(label).strip()
        if not key or not label or label.lower() == "nan":
            raise UserError(f"{path}: line {line}: empty clause or label; write both, or {DROP} as the label to "
                            "drop the clause")
        if label in EXTRA_COLUMNS:
            raise UserError(f"{path}: line {line}: {label!r} is a reserved output column; choose another label name")
        if key in overrides:
            raise UserError(f"{path}: line {line}: this clause is listed twice; keep one line per clause")
        overrides[key] = None if label == DROP else label
    return overrides


def new_override_labels(overrides: dict[str, str | None], mapping: LabelMap,
                        chexpert_names: tuple[tuple[str, str], ...]) -> dict[str, str | None]:
    """Override labels that are no label of the map nor a CheXpert name, so each becomes a column of its
    own (often a typo), with the closest known label as a suggestion (None when nothing is close)."""
    known = {name for pair in chexpert_names for name in pair}
    for label in mapping.values():
        if label:
            known |= {label, output_name(label, chexpert_names)}
    new = dict.fromkeys(label for label in overrides.values()
                        if label and label not in known and output_name(label, chexpert_names) not in known)
    return {label: next(iter(difflib.get_close_matches(label, sorted(known), n=1)), None) for label in new}


def read_label_map(path: Path, model: SavedModel, model_path: Path, encoding: str | None = None,
                   log_text: bool = False) -> LabelMap:
    """cluster_id -> label (None to drop), validated against the mined clusters: every cluster needs its line.
    The line whose cluster_id is UNASSIGNED_ROW names the parts far from every medoid; a map without it (one
    written before it existed) leaves them unlabelled.

    Cluster ids are only numbers: a map from another mine run would pair its labels with this model's
    clusters and mislabel without a sign, so each line's medoid must be the model's medoid for that id.
    `encoding`: the command's $encoding, where it reads this file; `log_text`: a message may quote a medoid."""
    frame = read_review_file(path, ("cluster_id", "label", "medoid"),
                             f"the label map (its medoid column ties it to its {model_path.name}; copy lost columns "
                             "back from the label_map.csv zh mine wrote)", encoding)
    medoids = dict(zip(model.cluster_ids, model.medoids))
    mapping: LabelMap = {}
    differ: list[str] = []
    for line, (raw_id, raw_label, medoid) in enumerate(zip(frame["cluster_id"], frame["label"], frame["medoid"]),
                                                      start=2):
        raw_id, label = str(raw_id).strip(), str(raw_label).strip()
        if raw_id == UNASSIGNED_ROW:
            if UNASSIGNED_ROW in mapping:
                raise UserError(f"{path}: line {line}: cluster_id {UNASSIGNED_ROW} appears twice; keep one line")
            mapping[UNASSIGNED_ROW] = _map_label(path, line, raw_id, label)
            continue
        if not raw_id.isdigit() or int(raw_id) not in medoids:
            raise UserError(f"{path}: line {line}: cluster_id {raw_id!r} is not one of the mined clusters "
                            f"({min(medoids)}..{max(medoids)}) nor {UNASSIGNED_ROW}; fix the id or delete the line")
        if int(raw_id) in mapping:
            raise UserError(f"{path}: line {line}: cluster_id {raw_id} appears twice; keep one line per cluster")
        if str(medoid).strip() != medoids[int(raw_id)]:
            differ.append(raw_id)
        mapping[int(raw_id)] = _map_label(path, line, raw_id, label)
    absent = [cid for cid in model.cluster_ids if cid not in mapping]
    if absent:
        shown = ", ".join(f"{cid}" + (f" (medoid {medoids[cid]!r})" if log_text else "") for cid in absent[:10])
        raise UserError(f"{path}: no line for cluster_id {shown}{' …' if len(absent) > 10 else ''} of "
                        f"{model_path.name}, so it would be dropped without a word; write {DROP} as its label to "
                        "drop it, or restore its line from clusters.csv")
    if differ:
        shown = ", ".join(differ[:10]) + (" …" if len(differ) > 10 else "")
        raise UserError(f"{path}: {len(differ)} of {len(medoids)} clusters (cluster_id {shown}) have a different "
                        f"medoid in {model_path}: this map comes from another mine run; label with the "
                        f"{model_path.name} written beside this map ($model), or review the label map written "
                        "with this model")
    return mapping


def _map_label(path: Path, line: int, raw_id: str, label: str) -> str | None:
    """One line's label, None for DROP."""
    if not label and raw_id == UNASSIGNED_ROW:
        raise UserError(f"{path}: line {line}: the {UNASSIGNED_ROW} line has an empty label; write a label name for "
                        f"the parts far from every cluster, or {DROP} to leave them unlabelled")
    if not label:
        raise UserError(f"{path}: line {line}: cluster {raw_id} has an empty label; "
                        f"write a label name, or {DROP} to drop the cluster")
    if label in EXTRA_COLUMNS:
        raise UserError(f"{path}: line {line}: {label!r} is a reserved output column; choose another label name")
    return None if label == DROP else label


def reviewed_paths(label_map: Path, model: Path | None, overrides: Path | None) -> tuple[Path, Path]:
    """(model.json, clause overrides) of a label map: the ones named, else those beside the map."""
    overrides_path = overrides or label_map.parent / OVERRIDES_FILE
    if overrides and not overrides_path.is_file():
        raise UserError(f"$clause_overrides {overrides_path}: no such file")
    return model or label_map.parent / MODEL_FILE, overrides_path


def read_reviewed(label_map: Path, model_path: Path, overrides_path: Path,
                  log_text: bool = False) -> tuple[SavedModel, LabelMap, dict[str, str | None]]:
    """The model, the label map checked against it, and the clause overrides (none without the file);
    `log_text`: a message may quote a medoid."""
    model = load_model(model_path)
    return (model, read_label_map(label_map, model, model_path, log_text=log_text),
            read_overrides(overrides_path) if overrides_path.is_file() else {})


@dataclass
class ReviewedClusters:
    """The mined clusters as a reviewer named them: everything `label_reports` needs (the preprocessor,
    medoids, the reviewed map and overrides)."""

    pre: ClausePreprocessor
    distance: str
    centers: list[str]  # encoded medoids
    encoder: TokenEncoder | None
    metric: Metric
    center_labels: list[str | None]  # output label of each medoid, None = dropped
    labels: list[str]  # output label columns, No Finding last
    max_distance: float
    overrides: dict[str, str | None] = field(default_factory=dict)  # part text -> output label
    unassigned_label: str | None = None  # output label of a finding part beyond max_distance, None = none

    @classmethod
    def build(cls, pre: ClausePreprocessor, model: SavedModel, mapping: LabelMap,
              max_distance: float, workers: int = ALL_CORES,
              overrides: dict[str, str | None] | None = None) -> ReviewedClusters:
        encoder = TokenEncoder() if model.distance == "tokens" else None
        centers = ([encoder.encode(t) for t in model.medoid_tokens] if encoder else list(model.medoids))
        name = lambda label: label and output_name(label, pre.data.chexpert_names)  # noqa: E731
        # A cluster left out of the map is dropped, like one labelled "-".
        center_labels = [name(mapping.get(cid)) for cid in model.cluster_ids]
        unassigned_label = name(mapping.get(UNASSIGNED_ROW))
        named_overrides = {text: name(label) for text, label in (overrides or {}).items()}
        found = [*center_labels, unassigned_label, *named_overrides.values()]
        labels = list(dict.fromkeys(lab for lab in found if lab and lab != NORMAL)) + [NORMAL]
        metric = Metric(finding_guide(pre.data) if model.guide else None, workers)
        if encoder and metric.guide:
            for item, tokens in zip(centers, model.medoid_tokens):
                metric.guide.register(item, "".join(tokens))
        return cls(pre, model.distance, centers, encoder, metric, center_labels, labels, max_distance,
                   named_overrides, unassigned_label)

    def nearest(self, unique: Sequence[str]) -> dict[str, tuple[int, float]]:
        """Normalised clause -> (index of its nearest medoid, distance), as `zh label` assigns it; `zh split`
        reassigns the mined clauses with it, so clusters.html shows what labelling will do."""
        if self.encoder is not None:
            encoded = [self.encoder.encode(self.pre.tokens(u), grow=False) for u in unique]
            if self.metric.guide:
                for item, text in zip(encoded, unique):
                    self.metric.guide.register(item, text)
        else:
            encoded = list(unique)
        index, dist = self.metric.nearest(encoded, self.centers) if unique else (np.array([]), np.array([]))
        return {u: (int(i), float(d)) for u, i, d in zip(unique, index, dist)}


@dataclass
class LabelBatch:
    frame: pd.DataFrame  # one row per input text: label columns, n_labels, single_label, unassigned
    n_clauses: int
    n_unassigned: int
    n_dropped: int
    n_overridden: int = 0
    override_hits: dict[str, int] = field(default_factory=dict)  # override clause -> parts it labelled


@dataclass(frozen=True)
class PartVerdict:
    """What `zh label` makes of one clause part: its label (None: none) and why."""

    label: str | None
    how: str  # override, cluster, dropped (its cluster is labelled -), unassigned (beyond --max-distance), none
    center: int | None = None  # index of the nearest medoid
    distance: float | None = None


def part_verdict(clause: Clause, where: dict[str, tuple[int, float]], clusters: ReviewedClusters) -> PartVerdict:
    """One part's label: its clause override, else its nearest medoid's label within --max-distance, else (a
    finding part, not a normal description) the label the map gives parts far from every medoid."""
    if clause.text in clusters.overrides:
        return PartVerdict(clusters.overrides[clause.text], "override")
    if not clause.normalized:
        return PartVerdict(None, "none")
    center, d = where[clause.normalized]
    if d > clusters.max_distance:
        label = clusters.unassigned_label if clause.cue is not Cue.NORMAL else None
        return PartVerdict(label, "unassigned", center, d)
    label = clusters.center_labels[center]
    return PartVerdict(label, "cluster" if label else "dropped", center, d)


def _parsed(texts: Sequence[str],
            clusters: ReviewedClusters) -> tuple[list[list[Clause]], dict[str, tuple[int, float]]]:
    """The parts of each text that `zh label` reads, and each distinct part's nearest medoid."""
    parsed = [[c for c in clusters.pre.clauses(t) if not c.boilerplate and (c.normalized or c.normal_statement)]
              for t in texts]
    where = clusters.nearest(list(dict.fromkeys(c.normalized for clauses in parsed for c in clauses
                                                if c.normalized and c.text not in clusters.overrides)))
    return parsed, where


def part_verdicts(texts: Sequence[str], clusters: ReviewedClusters) -> list[list[tuple[Clause, PartVerdict]]]:
    """Each text's parts with their verdicts, as `label_reports` labels them: what the review page shows."""
    parsed, where = _parsed(texts, clusters)
    return [[(clause, part_verdict(clause, where, clusters)) for clause in clauses] for clauses in parsed]


def _precedence(values: list[float]) -> float:
    """CheXpert: any positive, else any uncertain, else any negative."""
    return 1.0 if 1.0 in values else -1.0 if -1.0 in values else 0.0


def label_reports(texts: Sequence[str], clusters: ReviewedClusters) -> LabelBatch:
    """Labels for a batch of diagnoses, one output row per input, in order.

    A part with no finding text left once its normal descriptor or negation is removed (未见异常 alone)
    still counts towards No Finding.
    """
    parsed, where = _parsed(texts, clusters)
    rows, n_clauses, n_unassigned, n_dropped, n_overridden, hits = [], 0, 0, 0, 0, {}
    for clauses in parsed:
        values: dict[str, list[float]] = {}
        all_normal, unassigned = bool(clauses), 0
        for clause in clauses:
            n_clauses += 1
            verdict = part_verdict(clause, where, clusters)
            label = verdict.label
            if verdict.how == "override":
                n_overridden += 1
                hits[clause.text] = hits.get(clause.text, 0) + 1
            # A normal description far from every finding still says "normal": it is not unassigned.
            unassigned += verdict.how == "unassigned" and clause.cue is not Cue.NORMAL
            n_dropped += verdict.how == "dropped"
            if label and label != NORMAL:
                values.setdefault(label, []).append(CUE_VALUE[clause.cue])
            all_normal = all_normal and (clause.normal_statement or (label == NORMAL and clause.cue is Cue.NONE))
        n_unassigned += unassigned
        row: dict[str, object] = {lab: _precedence(v) for lab, v in values.items()}
        if all_normal:
            row[NORMAL] = 1.0
        positives = [lab for lab in clusters.labels if row.get(lab) == 1.0]
        row["n_labels"] = len(positives)
        row["single_label"] = positives[0] if len(positives) == 1 else ""
        row["unassigned"] = unassigned
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*clusters.labels, *EXTRA_COLUMNS])
    frame[["n_labels", "unassigned"]] = frame[["n_labels", "unassigned"]].astype(int)
    return LabelBatch(frame, n_clauses, n_unassigned, n_dropped, n_overridden, hits)
