"""Reading cxrlabel's label tables: which columns are observations, images, patients; task targets.

Only columns whose every filled cell is 1, 0 or -1 can be observations, and bookkeeping columns
(ids, paths, text, n_labels, single_label...) never are, so a CSV straight from `cxrlabel extract`
or the Chinese labeler trains without naming columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.errors import UserError
from cxrlabel.tables import column_key, describe_columns
from cxrlabel.tables import TEXT_COLUMN_NAMES, find_column, read_table

from .images import IMAGE_SUFFIXES

TASKS = ("multilabel", "multiclass", "binary")
PATH_COLUMN_NAMES = ("Path", "image_path", "path", "filepath", "file_path", "filename", "file_name",
                     "file", "image", "image_file", "dicom_path", "png_path", "jpg_path")
ID_COLUMN_NAMES = ("id", "image_id", "imageid", "image_index", "dicom_id", "study_id", "accession")
PATIENT_COLUMN_NAMES = ("patient_id", "PatientID", "patient", "subject_id", "subject", "patient_number", "mrn")
# Bookkeeping columns of cxrlabel and common metadata: never observations by default.
NON_LABEL_NAMES = {"n_labels", "single_label", "unassigned", "split", "fold", "age", "sex", "view", "label_count",
                   *TEXT_COLUMN_NAMES}
BINARY_SOURCE_COLUMNS = (("abnormal", False), ("normal", True), ("No Finding", True))
LABEL_VALUES = {-1.0, 0.0, 1.0}


def load_label_table(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """The label table as strings, with the reason in the error when it cannot be read."""
    frame = read_table(path, encoding=encoding).frame
    if frame.empty:
        raise UserError(f"{path}: the label table has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _numeric(column: pd.Series) -> pd.Series:
    text = column.astype(str).str.strip()
    text = text.mask(text.str.lower().isin({"", "nan", "none", "null", "na"}))
    return pd.to_numeric(text, errors="coerce").where(text.notna())


def _is_label_column(column: pd.Series) -> bool:
    text = column.astype(str).str.strip()
    filled = text[~text.str.lower().isin({"", "nan", "none", "null", "na"})]
    if filled.empty:
        return False
    values = pd.to_numeric(filled, errors="coerce")
    return bool(values.notna().all() and values.isin(LABEL_VALUES).all())


def optional_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str) -> str | None:
    """A column named by the user (error if absent) or detected from common names (None if none)."""
    if wanted is not None:
        return find_column(frame, wanted, what=what, candidates=candidates)
    by_key = {column_key(c): c for c in frame.columns}
    for name in candidates:
        if column_key(name) in by_key:
            return by_key[column_key(name)]
    return None


def default_observations(frame: pd.DataFrame, reserved: set[str]) -> list[str]:
    """Every 1/0/-1 column that is not an id, path, text, patient or cxrlabel bookkeeping column."""
    found = []
    for name in frame.columns:
        key = column_key(name)
        if name in reserved or key in {column_key(n) for n in NON_LABEL_NAMES} or key.startswith("unnamed"):
            continue
        if key.endswith("id") or key.endswith("index") or key.endswith("path"):
            continue
        if _is_label_column(frame[name]):
            found.append(name)
    return found


def resolve_observations(frame: pd.DataFrame, requested: list[str] | None, reserved: set[str]) -> list[str]:
    """Requested observation columns (checked to exist and hold 1/0/-1/blank) or the detected ones."""
    listing = describe_columns(frame.columns)
    if not requested:
        found = default_observations(frame, reserved)
        if not found:
            raise UserError("found no observation columns (columns holding only 1, 0, -1 or blank); "
                            f"{listing}. Name them with $observations A,B")
        return found
    resolved = []
    for name in requested:
        match = name if name in frame.columns else next((c for c in frame.columns if column_key(c) == column_key(name)), None)
        if match is None:
            raise UserError(f"unknown observation {name!r}: no such column; {listing}")
        values = _numeric(frame[match])
        bad = frame.index[(values.isna() & frame[match].astype(str).str.strip().ne("")
                           & ~frame[match].astype(str).str.strip().str.lower().isin({"nan", "none", "null", "na"}))
                          | (values.notna() & ~values.isin(LABEL_VALUES))]
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:5])
            raise UserError(f"column {match!r} is not a label column: line(s) {rows} hold values other than "
                            "1, 0, -1 or blank; fix them or leave the column out of $observations")
        resolved.append(match)
    return resolved


def label_values(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """(rows, columns) float array: 1, 0, -1, NaN for blank."""
    return np.stack([_numeric(frame[c]).to_numpy(dtype=np.float64) for c in columns], axis=1).astype(np.float32)


@dataclass
class TaskData:
    """What the model predicts for each row; values are raw labels (NaN blank) or class indices."""

    task: str
    outputs: list[str]
    values: np.ndarray
    usable: np.ndarray
    notes: list[str] = field(default_factory=list)


def derive_binary(values: np.ndarray) -> np.ndarray:
    """Abnormal = any positive; else uncertain if any -1; else normal if any 0; else blank."""
    out = np.full(len(values), np.nan, dtype=np.float32)
    out[np.any(values == 0, axis=1)] = 0.0
    out[np.any(values == -1, axis=1)] = -1.0
    out[np.any(values == 1, axis=1)] = 1.0
    return out


def build_task(frame: pd.DataFrame, task: str, requested: list[str] | None, reserved: set[str],
               all_classes: bool = False) -> TaskData:
    """Turn the table into per-row values for the chosen task.

    all_classes keeps every requested multiclass class even without images (evaluating a trained
    model on another table must keep the model's class order)."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if task == "multilabel":
        columns = resolve_observations(frame, requested, reserved)
        values = label_values(frame, columns)
        return TaskData(task, columns, values, np.ones(len(frame), dtype=bool))
    if task == "binary":
        if requested and len(requested) == 1:
            column = resolve_observations(frame, requested, reserved)[0]
            return TaskData(task, [column], label_values(frame, [column]), np.ones(len(frame), dtype=bool),
                            [f"binary target: column {column!r} (1 = positive)"])
        if not requested:
            for name, inverted in BINARY_SOURCE_COLUMNS:
                match = next((c for c in frame.columns if column_key(c) == column_key(name)), None)
                if match is not None and _is_label_column(frame[match]):
                    raw = label_values(frame, [match])[:, 0]
                    if inverted:
                        raw = np.where(raw == 1, 0.0, np.where(raw == 0, 1.0, raw)).astype(np.float32)
                    how = f"not {match!r}" if inverted else repr(match)
                    return TaskData(task, ["abnormal"], raw[:, None], np.ones(len(frame), dtype=bool),
                                    [f"binary target: abnormal = {how}"])
        columns = resolve_observations(frame, requested, reserved)
        return TaskData(task, ["abnormal"], derive_binary(label_values(frame, columns))[:, None],
                        np.ones(len(frame), dtype=bool),
                        [f"binary target: abnormal = any positive among {len(columns)} observation columns"])
    # multiclass: one class per image, only images with exactly one label.
    single = next((c for c in frame.columns if column_key(c) == "singlelabel"), None)
    columns = resolve_observations(frame, requested, reserved | ({single} if single else set()))
    values = label_values(frame, columns)
    if single is not None:
        names = frame[single].astype(str).str.strip()
        lookup = {c: i for i, c in enumerate(columns)}
        index = np.array([lookup.get(n, -1) for n in names], dtype=np.int64)
        how = f"column {single!r}"
    else:
        positives = values == 1
        index = np.where(positives.sum(axis=1) == 1, positives.argmax(axis=1), -1)
        how = "rows with exactly one positive observation"
    present = [i for i in range(len(columns)) if all_classes or np.any(index == i)]
    if len(present) < 2:
        raise UserError(f"$task multiclass needs at least two classes with single-label images ({how}); "
                        f"found {len(present)}. Use $task multilabel instead")
    notes = [f"multiclass: {int(np.sum(index >= 0))} of {len(frame)} rows have exactly one label ({how})"]
    dropped = [columns[i] for i in range(len(columns)) if i not in present]
    if dropped:
        notes.append(f"classes with no single-label image left out: {', '.join(dropped)}")
    remap = {old: new for new, old in enumerate(present)}
    classes = np.array([remap.get(int(i), -1) for i in index], dtype=np.float32)
    usable = classes >= 0
    return TaskData(task, [columns[i] for i in present], np.where(usable, classes, np.nan)[:, None], usable, notes)


def resolve_image_paths(frame: pd.DataFrame, images_dir: Path, labels_path: Path, path_column: str | None,
                        id_column: str | None, image_pattern: str | None) -> tuple[list[Path], str]:
    """One image path per row, from a path column (relative to --images or the CSV) or ids + a pattern."""
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise UserError(f"$images {images_dir}: no such folder")
    listing = describe_columns(frame.columns)
    if id_column is not None or image_pattern is not None:
        column = optional_column(frame, id_column, ID_COLUMN_NAMES, "image id")
        if column is None:
            raise UserError(f"$image_pattern needs $id_column (no id column found); the columns are: {listing}")
        ids = frame[column].astype(str).str.strip()
        if image_pattern is not None:
            if "{id}" not in image_pattern:
                raise UserError(f"$image_pattern {image_pattern!r} must contain {{id}}, e.g. '{{id}}.png'")
            return [images_dir / image_pattern.replace("{id}", i) for i in ids], column
        by_stem: dict[str, Path] = {}
        for found in sorted(images_dir.rglob("*")):
            if found.suffix.lower() in IMAGE_SUFFIXES:
                by_stem.setdefault(found.stem, found)
                by_stem.setdefault(str(found.relative_to(images_dir).with_suffix("")), found)
        return [by_stem.get(i, images_dir / i) for i in ids], column
    column = optional_column(frame, path_column, PATH_COLUMN_NAMES, "image path")
    if column is None:
        raise UserError("cannot tell which column holds the image paths; name it with $path_column, or give "
                        f"$id_column and $image_pattern '{{id}}.png'; {listing}")
    paths = []
    for raw in frame[column].astype(str).str.strip():
        candidate = Path(raw)
        if not candidate.is_absolute():
            under_images = images_dir / candidate
            beside_labels = labels_path.parent / candidate
            candidate = under_images if under_images.exists() or not beside_labels.exists() else beside_labels
        paths.append(candidate)
    return paths, column


def check_images_exist(paths: list[Path], images_dir: Path, column: str) -> None:
    """Fail early, and helpfully, when not a single image can be found."""
    if paths and not any(p.is_file() for p in paths):
        examples = ", ".join(str(p) for p in paths[:3])
        raise UserError(f"no images found: none of the {len(paths)} files named by column {column!r} exist "
                        f"(e.g. {examples}). Check $images {images_dir} and the path column")
