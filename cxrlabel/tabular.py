"""Reading report tables (CSV, header-less CSV, JSONL, Parquet) robustly, for every command.

Decoding is done here, not by pandas, so that a bad byte costs one replaced character and a
warning instead of a crash, and so GB18030 exports from Chinese hospitals are recognised.
"""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UserError

# Column names tried, in order, when --column is not given (compared without case, spaces, _ or -).
TEXT_COLUMN_NAMES = (
    "Reports", "report", "text", "Report Impression", "report_text", "impression",
    "findings", "diagnosis", "诊断", "诊断结果", "印象", "检查结论", "结论",
)
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
# Beyond this share of replaced characters the file is taken to be in another encoding (or not text).
MAX_REPLACED_SHARE = 0.10
MAX_BAD_LINE_SHARE = 0.5  # most lines damaged: a systematic wrong encoding, not a few stray bytes


@dataclass
class Table:
    """A report table and what reading it cost."""

    frame: pd.DataFrame
    encoding: str
    replaced_chars: int = 0
    replaced_rows: int = 0
    header: bool = True


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _cjk_share(text: str) -> float:
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0
    cjk = sum(1 for c in non_ascii if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return cjk / len(non_ascii)


def decode(raw: bytes, encoding: str | None, path: Path) -> tuple[str, str, int]:
    """Decode bytes to text; returns (text, encoding used, number of replaced characters)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UserError(f"unknown encoding {encoding!r}; try utf-8, gb18030, cp1252 or latin-1") from None
        text = raw.decode(encoding, errors="replace")
        return text, encoding, text.count("\ufffd") - raw.decode(encoding, errors="ignore").count("\ufffd")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace"), enc, 0
    if b"\x00" in raw[:4096]:
        return _decode_utf16(raw, path)
    try:
        return raw.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if _cjk_share(text) > 0.9:
            return text, "gb18030", 0
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - raw.count("\ufffd".encode())
    lines = [line for line in text.splitlines() if line.strip()]
    bad_lines = sum("\ufffd" in line for line in lines)
    if replaced > MAX_REPLACED_SHARE * max(len(text), 1) or bad_lines > MAX_BAD_LINE_SHARE * len(lines):
        raise UserError(
            f"{path}: cannot read this file as UTF-8 ({replaced} undecodable bytes); "
            "say which encoding it uses with --encoding, e.g. --encoding cp1252, latin-1 or gb18030"
        )
    return text, "utf-8", replaced


def _decode_utf16(raw: bytes, path: Path) -> tuple[str, str, int]:
    """NUL bytes without a BOM: UTF-16 when every other byte is NUL, else not a text file."""
    head = raw[:4096]
    for enc, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        if zeros and zeros.count(0) > 0.9 * len(zeros):
            text = raw.decode(enc, errors="replace")
            return text, enc, text.count("\ufffd")
    raise UserError(f"{path}: this does not look like a text file (it has NUL bytes); "
                    "export it as CSV, or say which encoding it uses with --encoding")


def looks_headerless(first_line: str, named: tuple[str, ...] = ()) -> bool:
    """A one-column CSV is header-less (the CheXpert labeler's input) unless its first cell is a known name
    or one the user `named` (with --column)."""
    cell = first_line.strip().strip('"').strip()
    return _key(cell) not in {_key(n) for n in TEXT_COLUMN_NAMES + named}


def probe_csv(path: Path, text: str, sep: str) -> pd.DataFrame:
    """The first rows, header-less, to decide on a header; a clear error for an empty or broken file."""
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, nrows=5,
                           keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise UserError(f"{path}: not a readable CSV ({str(exc).strip()})") from None


def read_table(path: str | Path, encoding: str | None = None, header: bool | None = None,
               named: tuple[str, ...] = ()) -> Table:
    """Read any supported table into strings, never dropping a row; `named`: column names the user gave,
    which mark a one-column file's first line as its header."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the report file itself")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise UserError(f"{path}: not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None
        return Table(frame.reset_index(drop=True), "parquet")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    text, used, replaced = decode(raw, encoding, path)
    if suffix in JSONL_SUFFIXES:
        try:
            frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        except ValueError as exc:
            bad = first_bad_json_line(text.splitlines())
            raise UserError(f"{path}: line {bad} is not valid JSON ({exc}); each line must be one JSON object") from None
    else:
        sep = "\t" if suffix == ".tsv" else ","
        first = text.split("\n", 1)[0]
        probe = probe_csv(path, text, sep)
        if header is None:
            header = not (probe.shape[1] == 1 and looks_headerless(first, named))
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, header=0 if header else None, dtype=str,
                                keep_default_na=False, na_values=[], skip_blank_lines=False)
        except pd.errors.ParserError as exc:
            raise UserError(f"{path}: not a readable CSV ({exc}); quote fields that hold commas or newlines") from None
        if not header:
            frame.columns = ["Reports"] + [f"column_{i}" for i in range(1, frame.shape[1])]
    replaced_rows = 0
    if replaced:
        replaced_rows = int(frame.astype(str).apply(lambda col: col.str.contains("\ufffd", regex=False)).any(axis=1).sum())
    return Table(frame.reset_index(drop=True), used, replaced, replaced_rows, bool(header) if header is not None else True)


def first_bad_json_line(lines: Iterable[str]) -> int:
    """The number (from 1) of the first non-blank line that is not JSON, 0 when there is none; shared by
    the whole-file and the chunked readers so both name the same line."""
    import json

    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                return number
    return 0


def find_column(frame: pd.DataFrame, wanted: str | None, what: str = "text",
                candidates: tuple[str, ...] = TEXT_COLUMN_NAMES, option: str = "--column") -> str:
    """Resolve a column by exact name, then case-insensitively; detect it from common names if not given."""
    columns = [str(c) for c in frame.columns]
    listing = ", ".join(repr(c) for c in columns)
    if wanted is not None:
        if wanted in columns:
            return wanted
        matches = [c for c in columns if _key(c) == _key(wanted)]
        if len(matches) == 1:
            return matches[0]
        raise UserError(f"no column {wanted!r} in the input; the columns are: {listing}")
    by_key = {_key(c): c for c in columns}
    for name in candidates:
        if _key(name) in by_key:
            return by_key[_key(name)]
    if len(columns) == 1:
        return columns[0]
    raise UserError(f"cannot tell which column holds the report {what}; name it with {option}. "
                    f"The columns are: {listing}")


def concat_parquet(sources: list, target) -> None:
    """Parquet files (paths or `pa.Buffer`s) written one after another into `target` (a path or a writable
    file) under one schema: in a file whose column is all blank (ids, say) it has no type, and takes the others'."""
    schema = pa.unify_schemas([pq.read_schema(source) for source in sources])
    with pq.ParquetWriter(target, schema) as writer:
        for source in sources:
            writer.write_table(pq.read_table(source).cast(schema))
