"""The sample folder (sample.csv, sample.json) and the reviewer's reviewed.csv: written, read back and checked
against each other, so scores are only ever computed for the labels and the sample they belong to."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..archive.run_identity import files_digest
from ..errors import UserError
from ..output_guard import claim_folder, write_atomically
from ..scoring import _labels
from ..tables import describe_columns, read_table
from .estimate import Reviewed
from .sample import Drawn, LabelTable, class_codes
from .settings import SAMPLE_CSV, SAMPLE_JSON



def labels_digest(path: str | Path) -> str:
    """The labels file's digest (a folder of parts: every file in it)."""
    return files_digest([Path(path)])


def write_sample(folder: Path, drawn: Drawn, table: LabelTable, meta: dict) -> None:
    """sample.csv and sample.json, into a folder of ours. A folder holding another sample (other labels or
    options) is refused: a reviewer may be working on it."""
    claim_folder(folder, "sample")
    old = folder / SAMPLE_JSON
    if old.is_file():
        try:
            before = json.loads(old.read_text(encoding="utf-8"))
        except ValueError:
            before = {}
        if (before.get("labels_sha256"), before.get("options")) != (meta["labels_sha256"], meta["options"]):
            raise UserError(f"{folder}: holds a sample drawn from other labels or with other options, which a reviewer "
                            "may be working on; give $output a new folder")
    meta = {**meta, "strata": drawn.strata}
    write_atomically(folder / SAMPLE_CSV, drawn.frame.to_csv(index=False).encode("utf-8"))
    write_atomically(old, (json.dumps(meta, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def read_sample(folder: str | Path) -> tuple[dict, pd.DataFrame]:
    """sample.json and sample.csv of a folder `cxrlabel sample` wrote."""
    folder = Path(folder)
    meta_path, csv_path = folder / SAMPLE_JSON, folder / SAMPLE_CSV
    if not meta_path.is_file() or not csv_path.is_file():
        raise UserError(f"{folder}: not a sample folder (no {SAMPLE_JSON} and {SAMPLE_CSV}); give $sample the folder "
                        "that cxrlabel sample -o wrote")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or not all(k in meta for k in ("strata", "id_column", "observations")):
        raise UserError(f"{meta_path}: not a sample.json written by cxrlabel sample; draw the sample again")
    frame = read_table(csv_path, header=True).frame
    if meta["id_column"] not in frame.columns:
        raise UserError(f"{csv_path}: no id column {meta['id_column']!r}; draw the sample again")
    return meta, frame


def check_labels(meta: dict, labels: str | Path) -> None:
    """The labels must be the very file the sample was drawn from: scores of other labels mean nothing."""
    if labels_digest(labels) != meta.get("labels_sha256"):
        raise UserError(f"{labels}: differs from the labels the sample was drawn from ({meta.get('labels_file')}, "
                        "by its digest in sample.json); score the labels the sample was drawn from, or draw a new sample")


def read_reviewed(path: str | Path, meta: dict, sample: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The reports the reviewer finished and their reviewed classes (reports, observations). Rows whose status
    is not `confirmed` are left out when there is a status column."""
    frame = read_table(path, header=True).frame
    id_column, observations = meta["id_column"], meta["observations"]
    if id_column not in frame.columns:
        raise UserError(f"{path}: no id column {id_column!r} (the sample's); {describe_columns(frame.columns)}")
    missing = [o for o in observations if o not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {missing[0]!r} ({len(missing)} of the sample's observations missing); "
                        "give the reviewed.csv the review page downloads")
    if "status" in frame.columns:
        frame = frame[frame["status"].astype(str).str.strip().str.lower() == "confirmed"]
    ids = frame[id_column].astype(str).tolist()
    in_sample = set(sample[id_column].astype(str))
    stray = [(row, rid) for row, rid in zip(frame.index, ids) if rid not in in_sample]
    if stray:
        row, rid = stray[0]
        raise UserError(f"{path}: row {row + 2}: id {rid!r} is not in the sample ({len(stray)} such rows); give the "
                        "reviewed.csv of this sample")
    repeated = pd.Series(ids).duplicated()
    if repeated.any():
        row = int(np.argmax(repeated.to_numpy()))
        raise UserError(f"{path}: row {frame.index[row] + 2}: id {ids[row]!r} appears more than once; keep one row per "
                        "report")
    if not ids:
        raise UserError(f"{path}: no reviewed report yet (no confirmed row); review some reports first")
    values = np.column_stack([_labels(frame.reset_index(drop=True), o, str(path)) for o in observations])
    return ids, class_codes(values)


def reviewed_for(table: LabelTable, meta: dict, ids: list[str], gold: np.ndarray) -> tuple[Reviewed, np.ndarray, dict]:
    """The estimator's input, with each reviewed report weighted by its stratum's size over the reports reviewed
    there (1/inclusion probability once the review is finished; a review stopped part-way through the random
    review order is a random part of each stratum). Also which strata were reviewed whole, and the coverage."""
    row_of = {rid: row for row, rid in enumerate(table.ids)}
    stratum_of = {str(rid): h for h, stratum in enumerate(meta["strata"]) for rid in stratum["ids"]}
    strata = np.array([stratum_of[rid] for rid in ids])
    reviewed_per = np.bincount(strata, minlength=len(meta["strata"]))
    sizes = np.array([s["population"] for s in meta["strata"]])
    weight = sizes[strata] / reviewed_per[strata]
    archive = np.stack([np.bincount(table.classes[:, j], minlength=4) for j in range(len(table.observations))])
    rows = np.array([row_of[rid] for rid in ids])
    unreviewed = reviewed_per == 0
    progress = {"reviewed": len(ids), "drawn": int(sum(s["drawn"] for s in meta["strata"])),
                "strata_unreviewed": int(unreviewed.sum()), "reports_in_unreviewed_strata": int(sizes[unreviewed].sum())}
    return Reviewed(table.classes[rows], gold, weight, strata, archive), reviewed_per == sizes, progress


def load_labels(path: str | Path, meta: dict) -> LabelTable:
    id_column = None if meta.get("row_ids") else meta["id_column"]
    return LabelTable.read(path, id_column, meta["observations"])

