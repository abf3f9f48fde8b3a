"""The public chest X-ray datasets' own tables, recognised from their columns.

CheXpert, NIH ChestX-ray14 and MIMIC-CXR-JPG each ship labels in their own shape. Each is turned
here into the table the trainer reads everywhere else: one row per image, an image path, a patient
id and 1/0/-1/blank observation columns, so that users point `--labels` at the file they downloaded.
Any other table (cxrlabel's own output) passes through unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.tables import column_key
from cxrlabel.errors import UserError
from cxrlabel.tables import read_table

from .labels import cells

# Columns the layouts add; the double underscore keeps them apart from any column a dataset has.
PATH = "__image_path"
PATIENT = "__patient"
FRONTAL_VIEWS = {"PA", "AP", "FRONTAL"}  # NIH / MIMIC view positions, CheXpert's Frontal/Lateral
CHEXPERT_PATIENT = re.compile(r"(patient\d+)")
MIMIC_METADATA_NAMES = ("mimic-cxr-2.0.0-metadata.csv", "mimic-cxr-2.0.0-metadata.csv.gz")


@dataclass
class Layout:
    """A label table in the trainer's shape and how it was read, for the log and config.json."""

    name: str
    frame: pd.DataFrame
    lines: np.ndarray  # line of each row in the file the user gave (header = line 1)
    path_column: str | None = None
    patient_column: str | None = None
    patient_source: str | None = None
    notes: list[str] = field(default_factory=list)
    path_source: str | None = None  # where the image paths come from, in words (never an internal column)


def _column(frame: pd.DataFrame, name: str) -> str | None:
    return next((c for c in frame.columns if column_key(c) == column_key(name)), None)


def _has(frame: pd.DataFrame, *names: str) -> bool:
    return all(_column(frame, n) is not None for n in names)


def _keep_frontal(layout: Layout, views: pd.Series, what: str) -> Layout:
    keep = cells(views).str.upper().isin(FRONTAL_VIEWS)
    layout.notes.append(f"$frontal_only: kept {int(keep.sum())} of {len(keep)} images (column {what!r})")
    if not keep.any():
        raise UserError(f"$frontal_only left no image: column {what!r} names no frontal view")
    layout.frame = layout.frame[keep.to_numpy()].reset_index(drop=True)
    layout.lines = layout.lines[keep.to_numpy()]
    return layout


def chexpert(frame: pd.DataFrame, frontal_only: bool) -> Layout:
    """train.csv / valid.csv: Path like .../patient00001/study1/view1_frontal.jpg, a Frontal/Lateral column."""
    path, view = _column(frame, "Path"), _column(frame, "Frontal/Lateral")
    frame = frame.copy()
    frame[PATIENT] = cells(frame[path]).str.extract(CHEXPERT_PATIENT, expand=False).fillna("")
    layout = Layout("CheXpert", frame, np.arange(len(frame)) + 2, path, PATIENT,
                    f"the patientNNNNN folder in column {path!r}")
    missing = int((frame[PATIENT] == "").sum())
    if missing:
        layout.notes.append(f"warning: {missing} paths name no patientNNNNN folder; each counts as its own patient")
    return _keep_frontal(layout, frame[view], view) if frontal_only else layout


def nih(frame: pd.DataFrame, images_dir: Path, frontal_only: bool) -> Layout:
    """Data_Entry_2017.csv: Image Index, Finding Labels ('A|B' or 'No Finding'), Patient ID, View Position.

    The images are spread over images_001/images ... images_012/images, so each is found by its name; the
    paths are relative to images_dir, as a path column's are."""
    index, findings = _column(frame, "Image Index"), _column(frame, "Finding Labels")
    names = cells(frame[index])
    split = cells(frame[findings]).str.split("|")
    classes = sorted({f.strip() for labels in split for f in labels if f.strip()})
    wanted = set(names)
    on_disk = ({p.name: str(p.relative_to(images_dir)) for p in sorted(images_dir.rglob("*")) if p.name in wanted}
               if images_dir.is_dir() else {})
    table = pd.DataFrame({PATH: [on_disk.get(n, n) for n in names]})
    for name in classes:
        table[name] = split.map(lambda labels, name=name: "1" if name in {f.strip() for f in labels} else "0")
    patient = _column(frame, "Patient ID")
    if patient is not None:
        table[PATIENT] = cells(frame[patient]).to_numpy()
    view = _column(frame, "View Position")
    layout = Layout("NIH ChestX-ray14", table, np.arange(len(frame)) + 2, PATH, PATIENT if patient else None,
                    f"column {patient!r}" if patient else None,
                    [f"NIH: {len(classes)} observations from column {findings!r} ('A|B' lists; every image is "
                     "labelled, so there are no blank or uncertain cells)"],
                    f"the images named in column {index!r}, found under $images")
    if frontal_only:
        if view is None:
            raise UserError("$frontal_only: this NIH table has no 'View Position' column to tell the views apart")
        return _keep_frontal(layout, frame[view], view)
    return layout


def _mimic_metadata(labels_path: Path, metadata: str | None) -> pd.DataFrame:
    if metadata is None:
        found = [labels_path.parent / n for n in MIMIC_METADATA_NAMES if (labels_path.parent / n).is_file()]
        if not found:
            raise UserError(f"{labels_path} looks like MIMIC-CXR-JPG labels (subject_id, study_id, one row per study); "
                            "the images are listed in the metadata CSV: give $metadata mimic-cxr-2.0.0-metadata.csv")
        metadata = str(found[0])
    table = read_table(metadata).frame
    table.columns = [str(c) for c in table.columns]
    if not _has(table, "dicom_id", "subject_id", "study_id"):
        raise UserError(f"$metadata {metadata}: needs the columns dicom_id, subject_id and study_id "
                        "(mimic-cxr-2.0.0-metadata.csv)")
    return table


def mimic(frame: pd.DataFrame, labels_path: Path, images_dir: Path, metadata: str | None,
          frontal_only: bool) -> Layout:
    """The chexpert (or negbio) label CSV, one row per study, joined with the metadata CSV's images;
    paths are files/pXX/pSUBJECT/sSTUDY/DICOM.jpg under --images (or under --images/files given itself)."""
    frame = frame.copy()
    frame["__line"] = np.arange(len(frame)) + 2
    notes = []
    if _column(frame, "dicom_id") is None:
        meta = _mimic_metadata(labels_path, metadata)
        keep = [_column(meta, n) for n in ("dicom_id", "subject_id", "study_id", "ViewPosition") if _column(meta, n)]
        meta = meta[keep].rename(columns={_column(meta, "subject_id"): _column(frame, "subject_id"),
                                          _column(meta, "study_id"): _column(frame, "study_id")})
        studies = len(frame)
        on = [_column(frame, "subject_id"), _column(frame, "study_id")]
        for table in (frame, meta):  # compared as text, whatever type each file stores the ids as
            table[on] = table[on].apply(cells)
        frame = frame.merge(meta, on=on, how="inner")
        notes.append(f"MIMIC-CXR-JPG: {studies} labelled studies joined with the metadata CSV give {len(frame)} images")
        if frame.empty:
            raise UserError("no study of the label CSV is in the metadata CSV (matched on subject_id and study_id)")
    subject, study, dicom = (cells(frame[_column(frame, n)]) for n in ("subject_id", "study_id", "dicom_id"))
    files = Path("files") if (images_dir / "files").is_dir() or images_dir.name != "files" else Path()
    frame[PATH] = [str(files / f"p{s[:2]}" / f"p{s}" / f"s{t}" / f"{d}.jpg") for s, t, d in zip(subject, study, dicom)]
    frame[PATIENT] = subject.to_numpy()
    lines = frame.pop("__line").to_numpy()
    # identifiers are bookkeeping, never observations
    frame = frame.drop(columns=[_column(frame, n) for n in ("dicom_id", "study_id")])
    layout = Layout("MIMIC-CXR-JPG", frame, lines, PATH, PATIENT, "column 'subject_id'", notes,
                    "files/pXX/pSUBJECT/sSTUDY/DICOM.jpg under $images, from columns subject_id, study_id and dicom_id")
    if frontal_only:
        view = _column(frame, "ViewPosition")
        if view is None:
            raise UserError("$frontal_only: the MIMIC table has no ViewPosition column (it is in the metadata CSV)")
        return _keep_frontal(layout, frame[view], view)
    return layout


def detect(frame: pd.DataFrame, labels_path: Path, images_dir: Path, *, frontal_only: bool = False,
           metadata: str | None = None, view_required: bool = True) -> Layout:
    """The layout this table's columns say it has, applied; any other table is taken as cxrlabel's output.

    view_required False (evaluating a frontal-only run on another hospital's table) keeps every image of a
    table that has no view column, and says so, instead of refusing it."""
    if _has(frame, "Path", "Frontal/Lateral"):
        return chexpert(frame, frontal_only)
    if _has(frame, "Image Index", "Finding Labels"):
        return nih(frame, images_dir, frontal_only)
    if _has(frame, "subject_id", "study_id") and not _has(frame, "Path"):
        return mimic(frame, labels_path, images_dir, metadata, frontal_only)
    layout = Layout("cxrlabel table", frame, np.arange(len(frame)) + 2)
    if frontal_only:
        view = next((c for c in frame.columns if column_key(c) in {"viewposition", "view", "frontallateral"}), None)
        if view is None and not view_required:
            layout.notes.append("the run keeps frontal views only, but this table has no view column: "
                                "every image is used")
            return layout
        if view is None:
            raise UserError("$frontal_only needs a view column (View Position, ViewPosition, view or "
                            "Frontal/Lateral); this table has none")
        return _keep_frontal(layout, frame[view], view)
    return layout
