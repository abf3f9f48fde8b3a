"""Reading a report table chunk by chunk, so memory stays flat however large the archive is.

It reads what `tabular.read_table` reads (CSV with or without a header, TSV, JSONL, Parquet; UTF-8,
UTF-16 and GB18030 detected) with the same messages, but it decides the encoding and the header on the
first block of each file and then streams. A folder is read as its part files in name order, as
Spark, Dask or `cxrlabel extract -o folder/` write them.
"""
from __future__ import annotations

import codecs
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow.parquet as pq

from .errors import UserError
from .tabular import JSONL_SUFFIXES, PARQUET_SUFFIXES, decode, first_bad_json_line, looks_headerless, probe_csv

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PART_SUFFIXES = CSV_SUFFIXES | JSONL_SUFFIXES | PARQUET_SUFFIXES
PROBE_BYTES = 1 << 20  # enough lines to tell the encoding and the header


@dataclass(frozen=True)
class Chunk:
    source: Path  # the file the rows come from
    first_row: int  # position of the chunk's first data row in that file, from 0
    frame: pd.DataFrame


@dataclass(frozen=True)
class _Layout:
    """How one file is read, decided from its first block."""

    path: Path
    kind: str  # csv, jsonl or parquet
    encoding: str
    header: bool
    sep: str
    columns: list[str]


class _ReplacementCounter:
    """A codec error handler that puts U+FFFD for an undecodable byte and counts it, like errors='replace'."""

    _names = itertools.count()

    def __init__(self) -> None:
        self.count = 0
        self.name = f"cxrlabel.count-replaced-{next(self._names)}"
        codecs.register_error(self.name, self._replace)

    def _replace(self, exc: UnicodeError) -> tuple[str, int]:
        self.count += 1
        return "\ufffd", exc.end  # type: ignore[attr-defined]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    return "parquet" if suffix in PARQUET_SUFFIXES else "jsonl" if suffix in JSONL_SUFFIXES else "csv"


def input_files(path: Path) -> list[Path]:
    """The file itself, or a folder's part files in name order (hidden and _-prefixed names skipped)."""
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and not p.name.startswith((".", "_")) and p.suffix.lower() in PART_SUFFIXES)
    if not files:
        raise UserError(f"{path}: no report files in this folder (looked for {', '.join(sorted(PART_SUFFIXES))})")
    kinds = sorted({_kind(p) for p in files})
    if len(kinds) > 1:
        raise UserError(f"{path}: the folder mixes {' and '.join(kinds)} files; keep one format per folder")
    return files


def _head(path: Path) -> bytes:
    """The first block of a file, cut after its last complete line."""
    try:
        with open(path, "rb") as f:
            raw = f.read(PROBE_BYTES)
            more = bool(f.read(1))
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    cut = raw.rfind(b"\n")
    return raw[:cut + 1] if more and cut >= 0 else raw


class ChunkedTable:
    """A report table, a file or a folder of part files, read in chunks of `chunk_size` rows."""

    def __init__(self, path: str | Path, encoding: str | None = None, header: bool | None = None,
                 chunk_size: int = 10_000, named: tuple[str, ...] = ()) -> None:
        """`named`: column names the user gave, which mark a one-column file's first line as its header."""
        self.path = Path(path)
        self.named = named
        self.files = input_files(self.path)
        self.encoding = encoding
        self.header = header
        self.chunk_size = chunk_size
        self._replaced = _ReplacementCounter()
        self.replaced_rows = 0
        self._layouts: dict[Path, _Layout] = {}
        self.columns = self._layout(self.files[0]).columns

    @property
    def replaced_chars(self) -> int:
        """Undecodable bytes replaced by U+FFFD so far."""
        return self._replaced.count

    def identity(self) -> list[dict]:
        """What a resumed run checks to know the input has not changed."""
        out = []
        for path in self.files:
            stat = path.stat()
            out.append({"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
        return out

    def _layout(self, path: Path) -> _Layout:
        if path not in self._layouts:
            self._layouts[path] = self._probe(path)
        return self._layouts[path]

    def _probe(self, path: Path) -> _Layout:
        kind = _kind(path)
        if kind == "parquet":
            try:
                schema = pq.ParquetFile(path).schema_arrow
            except Exception as exc:  # pyarrow raises many types for a bad file
                raise UserError(f"{path}: not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None
            index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
            return _Layout(path, kind, "parquet", True, "", [n for n in schema.names if n not in index])
        text, used, _ = decode(_head(path), self.encoding, path)
        if kind == "jsonl":
            columns: dict[str, None] = {}
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        columns.update(dict.fromkeys(json.loads(line)))
                    except (ValueError, TypeError) as exc:
                        raise UserError(f"{path}: line {number} is not valid JSON ({exc}); "
                                        "each line must be one JSON object") from None
            return _Layout(path, kind, used, True, "", [str(c) for c in columns])
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        probe = probe_csv(path, text, sep)
        header = self.header
        if header is None:
            header = not (probe.shape[1] == 1 and looks_headerless(text.split("\n", 1)[0], self.named))
        if header:
            columns_ = [str(c) for c in pd.read_csv(io.StringIO(text), sep=sep, nrows=0, dtype=str).columns]
        else:
            columns_ = ["Reports"] + [f"column_{i}" for i in range(1, probe.shape[1])]
        return _Layout(path, kind, used, header, sep, columns_)

    def chunks(self, columns: list[str]) -> Iterator[Chunk]:
        """Chunks holding `columns` only; JSON lines without a key give blanks there, as in a whole read."""
        columns = list(dict.fromkeys(columns))
        for path in self.files:
            layout = self._layout(path)
            missing = [c for c in columns if c not in layout.columns]
            if missing and layout.kind != "jsonl":
                raise UserError(f"{path}: no column {missing[0]!r}; every part file needs the columns of the first. "
                                f"This one has: {', '.join(repr(c) for c in layout.columns)}")
            first = 0
            for frame in self._frames(layout, [c for c in columns if c in layout.columns]):
                if not len(frame):
                    continue
                if self._replaced.count:
                    self.replaced_rows += int(frame.astype(str).apply(
                        lambda col: col.str.contains("\ufffd", regex=False)).any(axis=1).sum())
                yield Chunk(path, first, frame.reindex(columns=columns).reset_index(drop=True))
                first += len(frame)

    def _frames(self, layout: _Layout, columns: list[str]) -> Iterator[pd.DataFrame]:
        if layout.kind == "parquet":
            for batch in pq.ParquetFile(layout.path).iter_batches(batch_size=self.chunk_size, columns=columns):
                yield batch.to_pandas(integer_object_nulls=True)  # ints stay ints in a batch with a null id
            return
        with open(layout.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=layout.encoding, errors=self._replaced.name, newline="")
            if layout.kind == "jsonl":
                try:
                    yield from pd.read_json(text, lines=True, dtype=False, chunksize=self.chunk_size)
                except ValueError as exc:
                    raise UserError(f"{layout.path}: line {self._bad_json_line(layout)} is not valid JSON ({exc}); "
                                    "each line must be one JSON object") from None
                return
            reader = pd.read_csv(text, sep=layout.sep, header=0 if layout.header else None, dtype=str,
                                 keep_default_na=False, na_values=[], skip_blank_lines=False,
                                 chunksize=self.chunk_size)
            try:
                for frame in reader:
                    if not layout.header:
                        frame.columns = layout.columns
                    yield frame
            except pd.errors.ParserError as exc:
                raise UserError(f"{layout.path}: not a readable CSV ({str(exc).strip()}); "
                                "quote fields that hold commas or newlines") from None

    def _bad_json_line(self, layout: _Layout) -> int:
        with open(layout.path, encoding=layout.encoding, errors="replace") as f:
            return first_bad_json_line(f)

    def count_rows(self) -> int | None:
        """Rows in the input, found cheaply for a progress bar; None where that would need a full parse."""
        total = 0
        for path in self.files:
            layout = self._layout(path)
            if layout.kind == "parquet":
                total += pq.ParquetFile(path).metadata.num_rows
                continue
            if codecs.lookup(layout.encoding).name.startswith(("utf-16", "utf-32")):
                return None  # newline and quote bytes are not single bytes there
            with open(path, "rb") as f:
                if layout.kind == "jsonl":
                    total += sum(1 for line in f if line.strip())
                    continue
                records, quoted = 0, False
                for line in f:  # a line ends a record unless it leaves a quoted field open
                    if line.count(b'"') % 2:
                        quoted = not quoted
                    if not quoted:
                        records += 1
                total += records + quoted - layout.header
        return total
