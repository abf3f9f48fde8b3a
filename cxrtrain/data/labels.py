"""Reading cxrlabel's label tables: which columns are observations, images, patients; task targets.

Only columns whose every filled cell is 1, 0 or -1 can be observations, and bookkeeping columns
(ids, paths, text, n_labels, single_label...) never are, so a table straight from `cxrlabel extract`
or the Chinese labeler trains without naming columns. A column is never dropped in silence: one that
is labels but for a few stray cells is refused with its cells named, and any other column left out
is said in a note (a warning where its few values look like labels in another coding, e.g. yes/no).

Every cell is read through `cells`, where a missing value (Parquet's or JSON's null, NaN) and an
empty or NA-word cell are the same blank, so a Parquet table reads exactly as the same CSV. No
message quotes a cell that could be report text: values are quoted only when they look like a short
token, and otherwise counted with their line numbers.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.errors import UserError
from cxrlabel.tables import column_key, describe_columns
from cxrlabel.tables import TEXT_COLUMN_NAMES, find_column, read_table

from ..settings import TASKS
from .images import IMAGE_SUFFIXES

PATH_COLUMN_NAMES = ("Path", "image_path", "path", "filepath", "file_path", "filename", "file_name",
                     "file", "image", "image_file", "dicom_path", "png_path", "jpg_path")
ID_COLUMN_NAMES = ("id", "image_id", "imageid", "image_index", "dicom_id", "study_id", "accession")
PATIENT_COLUMN_NAMES = ("patient_id", "PatientID", "patient", "subject_id", "subject", "patient_number", "mrn")
# Bookkeeping columns of cxrlabel and common metadata: never observations by default.
NON_LABEL_NAMES = {"n_labels", "single_label", "unassigned", "split", "fold", "age", "sex", "gender", "view",
                   "label_count", "Frontal/Lateral", "AP/PA", "ViewPosition", "Patient Gender", "Patient Sex",
                   *TEXT_COLUMN_NAMES}
# Ids, indexes and paths by their names: 'id', 'Image Index', 'dicom_path', 'PatientID', not 'Pleural Fluid'.
IDENTIFIER_WORD = re.compile(r"(?:^|[\s_\-.])(?:id|index|path)$", re.IGNORECASE)
IDENTIFIER_CAMEL = re.compile(r"[a-z](?:ID|Id|Index|Path)$")
BINARY_SOURCE_COLUMNS = (("abnormal", False), ("normal", True), ("No Finding", True))
LABEL_VALUES = {-1.0, 0.0, 1.0}
BLANK_WORDS = {"", "nan", "none", "null", "na", "<na>"}
# A column whose stray cells are at most this share of its filled cells is labels with a few mistakes:
# refused with the cells named, rather than left out of training.
STRAY_SHARE = 0.1
# A left-out column whose values are all such words holds labels written otherwise: a warning, not a note.
CODED_WORDS = {"yes", "no", "y", "n", "true", "false", "t", "f", "positive", "negative", "pos", "neg", "present",
               "absent", "uncertain", "possible", "是", "否", "有", "无", "阳性", "阴性"}
CODED_VALUES = 5  # distinct values a message quotes
SHOWN_LINES = 5
# Sentence punctuation (followed by a space or the end) or many words: a cell that may be report text.
PROSE = re.compile(r"[,;:!?](\s|$)|\.(\s|$)|[，。；：！？、]")
PROSE_WORDS = 4
TOKEN_CHARS = 24


def split_names(text: str) -> list[str]:
    """Names separated by commas, a name holding a comma in double quotes, as in a CSV row:
    'Edema,"Effusion, left"' is Edema and Effusion, left."""
    try:
        [row] = csv.reader([text], skipinitialspace=True)
    except (ValueError, csv.Error):  # a newline in the text makes two rows
        row = text.split(",")
    return [name.strip() for name in row if name.strip()]


def load_label_table(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """The label table, with the reason in the error when it cannot be read."""
    frame = read_table(path, encoding=encoding).frame
    if frame.empty:
        raise UserError(f"{path}: the label table has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def internal(column: str) -> bool:
    """A column a layout added (`layouts.PATH`...): used, never shown."""
    return str(column).startswith("__")


def listing(frame: pd.DataFrame) -> str:
    """The table's columns for a message, without the layouts' internal ones."""
    return describe_columns([c for c in frame.columns if not internal(c)])


def cells(column: pd.Series) -> pd.Series:
    """Each cell as stripped text, '' for a blank: a missing value (Parquet's or JSON's null, NaN) and an
    empty or NA-word cell alike, so that every format reads the same."""
    text = column.astype(object).where(column.notna(), "").astype(str).str.strip()
    return text.mask(text.str.lower().isin(BLANK_WORDS), "")


def _numeric(column: pd.Series) -> pd.Series:
    text = cells(column)
    return pd.to_numeric(text.mask(text == ""), errors="coerce")


def stray_rows(column: pd.Series) -> np.ndarray:
    """Positions of the filled cells that are not 1, 0 or -1."""
    text = cells(column)
    values = pd.to_numeric(text.mask(text == ""), errors="coerce")
    return np.flatnonzero(((text != "") & ~values.isin(LABEL_VALUES)).to_numpy())


def looks_like_prose(value: str) -> bool:
    """A cell that may be report text, never to be quoted: sentence punctuation or many words."""
    return bool(PROSE.search(value)) or len(value.split()) >= PROSE_WORDS


def token(value: str) -> bool:
    """A short value that cannot be report text, which a message may quote ('2', 'yes')."""
    return len(value) <= TOKEN_CHARS and len(value.split()) <= 2 and not looks_like_prose(value)


def lines_of(rows: np.ndarray, lines: np.ndarray) -> str:
    """'line 3', 'lines 3, 7, 9 and 4 more' for row positions, by the file's line numbers."""
    shown = ", ".join(str(int(lines[r])) for r in rows[:SHOWN_LINES])
    more = f" and {len(rows) - SHOWN_LINES} more" if len(rows) > SHOWN_LINES else ""
    return f"line{'s' if len(rows) > 1 else ''} {shown}{more}"


def values_of(text: pd.Series) -> str:
    """The distinct values of some cells, quoted when each is a short token; when any may be text, a one-word
    cell among them may be a report too, so none is quoted, only counted."""
    distinct = list(dict.fromkeys(text))
    if not all(map(token, distinct)):
        many = len(distinct) > 1
        return f"{len(distinct)} distinct value{'s' if many else ''}, not shown as {'they' if many else 'it'} may be text"
    return ", ".join(map(repr, distinct[:CODED_VALUES])) + (" ..." if len(distinct) > CODED_VALUES else "")


def _stray_message(name: str, column: pd.Series, rows: np.ndarray, lines: np.ndarray) -> str:
    return (f"column {name!r}: {len(rows)} cell{'s' if len(rows) > 1 else ''} other than 1, 0, -1 or blank "
            f"({values_of(cells(column).iloc[rows])}; {lines_of(rows, lines)})")


def optional_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str) -> str | None:
    """A column named by the user (error if absent) or detected from common names (None if none)."""
    if wanted is not None:
        if wanted in frame.columns:  # a layout's internal column, or an exact name
            return wanted
        return find_column(pd.DataFrame(columns=[c for c in frame.columns if not internal(c)]), wanted, what=what,
                           candidates=candidates)
    by_key = {column_key(c): c for c in frame.columns}
    for name in candidates:
        if column_key(name) in by_key:
            return by_key[column_key(name)]
    return None


def _default_lines(frame: pd.DataFrame, lines: np.ndarray | None) -> np.ndarray:
    return np.arange(len(frame)) + 2 if lines is None else np.asarray(lines)


def default_observations(frame: pd.DataFrame, reserved: set[str],
                         lines: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """(every 1/0/-1 column that is not an id, path, text, patient or bookkeeping column, notes on the
    columns left out). A column of labels with a few stray cells is refused, naming them."""
    lines = _default_lines(frame, lines)
    found, stray, coded, other = [], [], [], []
    bookkeeping = {column_key(n) for n in (*NON_LABEL_NAMES, *PATH_COLUMN_NAMES, *ID_COLUMN_NAMES, *PATIENT_COLUMN_NAMES)}
    for name in frame.columns:
        key = column_key(name)
        if name in reserved or internal(name) or key in bookkeeping or key.startswith("unnamed"):
            continue
        if IDENTIFIER_WORD.search(name) or IDENTIFIER_CAMEL.search(name):
            continue
        text = cells(frame[name])
        filled = int((text != "").sum())
        rows = stray_rows(frame[name])
        if filled and not len(rows):
            found.append(name)
        elif filled and len(rows) <= STRAY_SHARE * filled:
            stray.append(_stray_message(name, frame[name], rows, lines))
        elif filled and set(text[text != ""].str.lower()) <= CODED_WORDS:
            coded.append(f"warning: column {name!r} is not learned: its values are "
                         f"{values_of(text[text != ''])}, not 1, 0, -1 or blank; to learn it, write them as 1/0/-1 "
                         "and name it in $observations")
        else:
            other.append(repr(name))
    if stray:
        what = "This looks like a label column" if len(stray) == 1 else "These look like label columns"
        raise UserError(f"{'; '.join(stray)}. {what} with stray values: fix the cells, or leave the column out by "
                        "naming the observations to learn with $observations")
    notes = coded + ([f"not observations (cells other than 1, 0, -1 or blank, or all blank): {', '.join(other)}"]
                     if other else [])
    return found, notes


def resolve_observations(frame: pd.DataFrame, requested: list[str] | None, reserved: set[str],
                         lines: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """(requested observation columns, checked to exist and hold 1/0/-1/blank, or the detected ones; notes)."""
    if not requested:
        found, notes = default_observations(frame, reserved, lines)
        if not found:
            raise UserError("found no observation columns (columns holding only 1, 0, -1 or blank); "
                            f"{listing(frame)}. Name them with $observations A,B")
        return found, notes
    resolved = []
    for name in requested:
        match = name if name in frame.columns else next((c for c in frame.columns if not internal(c)
                                                         and column_key(c) == column_key(name)), None)
        if match is None or internal(match):
            raise UserError(f"unknown observation {name!r}: no such column; {listing(frame)}")
        rows = stray_rows(frame[match])
        if len(rows):
            raise UserError(f"{_stray_message(match, frame[match], rows, _default_lines(frame, lines))}: not a label "
                            "column; fix the cells or leave the column out of $observations")
        resolved.append(match)
    return resolved, []


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

    def subset(self, keep: np.ndarray) -> TaskData:
        """The same task on the rows `keep` selects."""
        return TaskData(self.task, self.outputs, self.values[keep], self.usable[keep], self.notes)


def derive_binary(values: np.ndarray) -> np.ndarray:
    """Abnormal = any positive; else uncertain if any -1; else normal if any 0; else blank."""
    out = np.full(len(values), np.nan, dtype=np.float32)
    out[np.any(values == 0, axis=1)] = 0.0
    out[np.any(values == -1, axis=1)] = -1.0
    out[np.any(values == 1, axis=1)] = 1.0
    return out


def build_task(frame: pd.DataFrame, task: str, requested: list[str] | None, reserved: set[str],
               all_classes: bool = False, lines: np.ndarray | None = None) -> TaskData:
    """Turn the table into per-row values for the chosen task; `lines` are the rows' lines in the user's file.

    all_classes keeps every requested multiclass class even without images (evaluating a trained
    model on another table must keep the model's class order)."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if task == "multilabel":
        columns, notes = resolve_observations(frame, requested, reserved, lines)
        values = label_values(frame, columns)
        return TaskData(task, columns, values, np.ones(len(frame), dtype=bool), notes)
    if task == "binary":
        if requested and len(requested) == 1:
            column = resolve_observations(frame, requested, reserved, lines)[0][0]
            return TaskData(task, [column], label_values(frame, [column]), np.ones(len(frame), dtype=bool),
                            [f"binary target: column {column!r} (1 = positive)"])
        if not requested:
            for name, inverted in BINARY_SOURCE_COLUMNS:
                match = next((c for c in frame.columns if column_key(c) == column_key(name)), None)
                if match is not None and (cells(frame[match]) != "").any() and not len(stray_rows(frame[match])):
                    raw = label_values(frame, [match])[:, 0]
                    if inverted:
                        raw = np.where(raw == 1, 0.0, np.where(raw == 0, 1.0, raw)).astype(np.float32)
                    how = f"not {match!r}" if inverted else repr(match)
                    return TaskData(task, ["abnormal"], raw[:, None], np.ones(len(frame), dtype=bool),
                                    [f"binary target: abnormal = {how}"])
        columns, notes = resolve_observations(frame, requested, reserved, lines)
        return TaskData(task, ["abnormal"], derive_binary(label_values(frame, columns))[:, None],
                        np.ones(len(frame), dtype=bool),
                        [*notes, f"binary target: abnormal = any positive among {len(columns)} observation columns"])
    # multiclass: one class per image, only images with exactly one label.
    single = next((c for c in frame.columns if column_key(c) == "singlelabel"), None)
    columns, notes = resolve_observations(frame, requested, reserved | ({single} if single else set()), lines)
    values = label_values(frame, columns)
    if single is not None:
        names = cells(frame[single])
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
    notes.append(f"multiclass: {int(np.sum(index >= 0))} of {len(frame)} rows have exactly one label ({how})")
    dropped = [columns[i] for i in range(len(columns)) if i not in present]
    if dropped:
        notes.append(f"classes with no single-label image left out: {', '.join(dropped)}")
    remap = {old: new for new, old in enumerate(present)}
    classes = np.array([remap.get(int(i), -1) for i in index], dtype=np.float32)
    usable = classes >= 0
    return TaskData(task, [columns[i] for i in present], np.where(usable, classes, np.nan)[:, None], usable, notes)


def check_not_text(frame: pd.DataFrame, column: str, what: str, setting: str) -> None:
    """Refuse a column of report text used as `what` (image paths, ids, patient ids), which would put the
    text into paths, messages and split.csv; the text itself is never quoted."""
    text = cells(frame[column])
    filled = text[text != ""]
    # 'scans/Chest X ray of patient 1.png' has many words but is a file name
    prose = int(filled.map(lambda v: looks_like_prose(v) and Path(v).suffix.lower() not in IMAGE_SUFFIXES).sum())
    if prose and 2 * prose > len(filled):
        raise UserError(f"column {column!r} holds text, not {what} ({prose} of {len(filled)} cells read as "
                        f"sentences); name the column of {what} with ${setting}")


def resolve_image_paths(frame: pd.DataFrame, images_dir: Path, labels_path: Path, path_column: str | None,
                        id_column: str | None, image_pattern: str | None) -> tuple[list[Path], str]:
    """One image path per row, from a path column (relative to --images or the CSV) or ids + a pattern."""
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        what = "is a file; give the folder the image paths are relative to" if images_dir.exists() else "no such folder"
        raise UserError(f"$images {images_dir}: {what}")
    if id_column is not None or image_pattern is not None:
        column = optional_column(frame, id_column, ID_COLUMN_NAMES, "image id")
        if column is None:
            raise UserError(f"$image_pattern needs $id_column (no id column found); {listing(frame)}")
        check_not_text(frame, column, "image ids", "id_column")
        ids = cells(frame[column])
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
                        f"$id_column and $image_pattern '{{id}}.png'; {listing(frame)}")
    check_not_text(frame, column, "image paths", "path_column")
    paths = []
    for raw in cells(frame[column]):
        candidate = Path(raw)
        if not candidate.is_absolute():
            under_images = images_dir / candidate
            beside_labels = labels_path.parent / candidate
            candidate = under_images if under_images.exists() or not beside_labels.exists() else beside_labels
        paths.append(candidate)
    return paths, column


def check_images_exist(paths: list[Path], images_dir: Path, source: str) -> None:
    """Fail early, and helpfully, when not a single image can be found; `source` says where the paths came
    from ("column 'Path'"). Only paths that cannot be text are quoted."""
    if paths and not any(p.is_file() for p in paths):
        shown = "" if any(looks_like_prose(str(p)) for p in paths) else f" (e.g. {', '.join(map(str, paths[:3]))})"
        raise UserError(f"no images found: none of the {len(paths)} files named by {source} exist{shown}. "
                        f"Check $images {images_dir} and the path column")


def unique_images(paths: list[Path], values: np.ndarray, groups: list[str],
                  lines: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(rows to keep, notes): an image listed twice with the same labels and patient is kept once, with a
    warning; one listed with other labels or another patient is refused, naming it and its lines, since
    which row is right cannot be guessed and keeping both would put one image on both sides of a split."""
    images = pd.Series([os.path.abspath(p) for p in paths])  # one file however its path is written
    repeated = images.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return np.ones(len(paths), dtype=bool), []
    rows = np.flatnonzero(repeated)
    quoted = not images.map(looks_like_prose).any()  # else a one-word path may be a report too

    def shown(image: str) -> str:
        return repr(image) if quoted else "an image"

    table = pd.DataFrame(values[rows]).assign(image=images.iloc[rows].to_numpy(),
                                              patient=np.asarray(groups, dtype=object)[rows], row=rows)
    distinct = table.drop(columns="row").drop_duplicates()
    conflicting = distinct["image"][distinct["image"].duplicated()].unique()
    if len(conflicting):
        named = "; ".join(f"{shown(name)} on {lines_of(table['row'][table['image'] == name].to_numpy(), lines)}"
                          for name in conflicting[:3])
        more = f" ({len(conflicting)} images in all)" if len(conflicting) > 3 else ""
        raise UserError(f"the same image is listed in rows with different labels or patient ids: {named}{more}. "
                        "Each image must be one row: fix or remove the repeated rows")
    keep = ~images.duplicated(keep="first").to_numpy()
    dropped = int((~keep).sum())
    first = images.iloc[rows[0]]
    example = table["row"][table["image"] == first].to_numpy()
    return keep, [f"warning: {dropped} row{'s' if dropped > 1 else ''} repeat an earlier row's image with the same "
                  f"labels and patient (e.g. {shown(first)} on {lines_of(example, lines)}); each image is used "
                  "once"]
