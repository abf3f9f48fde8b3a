"""The one reader of report tables (CSV with or without a header, TSV, JSONL, Parquet), chunk by chunk, so
memory stays flat however large the archive is; `read_table` is this reader read to the end, for the
commands that hold a whole table, and `concat_parquet` the writer that joins Parquet parts.

A folder is read as its part files in name order, as Spark, Dask or `cxrlabel extract -o folder/` write
them. The encoding and the header are decided on the first block of each file, then the file streams.

Encoding, when --encoding is not given: a byte-order mark names it. Otherwise UTF-8 and GB18030 (and
UTF-16 LE and BE when the block has NUL bytes) each read the block, and the one that reads it most
cleanly wins, UTF-8 on a tie. Clean means few flaws: undecodable bytes, control characters, line breaks
lost and, for the guesses other than UTF-8, characters outside GB2312 and Windows-1252, the common sets
a hospital export holds. (UTF-8 is its own evidence, as other encodings seldom form it by chance; a
UTF-8 or Windows-1252 byte read as GB18030 gives a rare character: `Patient\x92s`, `Patient抯s`.)
So a UTF-8 file with a few stray bytes stays UTF-8: each becomes U+FFFD and is counted, and the caller
warns. Windows-1252 and Latin-1 are not guessed, since nothing tells them from each other or from other
single-byte code pages: such a file reads as UTF-8 with too many flaws and is refused with a message
naming --encoding, unless it holds only a few such bytes, which are replaced and counted like stray ones.

No message quotes the file: a header-less file's first row is a report, so column names are listed only
when all of them look like names, and parser errors keep only their line numbers.
"""
from __future__ import annotations

import codecs
import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UserError

# Column names tried, in order, when --column is not given (compared without case, spaces, _ or -).
TEXT_COLUMN_NAMES = (
    "Reports", "report", "text", "Report Impression", "report_text", "impression",
    "findings", "diagnosis", "诊断", "诊断结果", "印象", "检查结论", "结论",
)
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
PART_SUFFIXES = CSV_SUFFIXES | JSONL_SUFFIXES | PARQUET_SUFFIXES
PROBE_BYTES = 1 << 20  # enough lines to tell the encoding and the header
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Beyond this share of flawed characters the file is taken to be in another encoding (or not text).
MAX_FLAW_SHARE = 0.10
MAX_BAD_LINE_SHARE = 0.5  # most lines damaged: a systematic wrong encoding, not a few stray bytes
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # in no report; bytes read in a wrong encoding
# What a hospital export holds: GB2312 (common Chinese, CJK punctuation, Greek, kana) and Windows-1252.
COMMON = frozenset(bytes(range(256)).decode("cp1252", errors="ignore")) | frozenset(
    char for lead in range(0xA1, 0xF8) for trail in range(0xA1, 0xFF)
    for char in bytes([lead, trail]).decode("gb2312", errors="ignore"))
SENTENCE = re.compile(r"[,;:!?，。；：！？、]|\.(\s|$)")
MAX_NAME_CHARS, MAX_NAME_WORDS = 32, 3


def column_key(name: str) -> str:
    """A column name compared without case, spaces, _ or -."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _read(raw: bytes, encoding: str, final: bool) -> tuple[str, int]:
    """`raw` decoded with U+FFFD for each undecodable sequence, and how many there were; with `final` False
    a character cut at the end of the block is left out rather than replaced."""
    decoder = codecs.getincrementaldecoder(encoding)
    text = decoder(errors="replace").decode(raw, final)
    return text, text.count("\ufffd") - decoder(errors="ignore").decode(raw, final).count("\ufffd")


def _flaws(raw: bytes, text: str, replaced: int, encoding: str) -> int:
    """How badly `encoding` read `raw` as `text` (see the module docstring)."""
    flaws = replaced + len(CONTROL.findall(text)) + max(0, raw.count(b"\n") - text.count("\n"))
    if encoding != "utf-8":  # a guess: bytes in another encoding seldom form UTF-8, but they form these,
        # two bytes (or more) at a time, where UTF-8 would stumble on each byte once
        flaws += 2 * (sum(c not in COMMON for c in text if c > "\x9f") - replaced)
    return flaws


class UnknownEncoding(UserError):
    """No candidate encoding reads the file cleanly: the caller may word the fix its own way, where
    $encoding does not apply to the file (a reviewer's label map, say)."""


def decode(raw: bytes, encoding: str | None, path: Path, final: bool = True) -> tuple[str, str, int]:
    """(text, encoding used, replaced characters) of a file's first block; `final`: the block is the whole file."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UserError(f"unknown encoding {encoding!r}; try utf-8, gb18030, cp1252 or latin-1") from None
    forced = encoding or next((used for bom, used in BOMS if raw.startswith(bom)), None)
    if forced:
        text, replaced = _read(raw, forced, final)
        return text, forced, replaced
    candidates = ("utf-8", "gb18030") + (("utf-16-le", "utf-16-be") if b"\x00" in raw else ())
    readings = []
    for used in candidates:
        text, replaced = _read(raw, used, final)
        readings.append((_flaws(raw, text, replaced, used), used, text, replaced))
    flaws, used, text, replaced = min(readings, key=lambda reading: reading[0])  # the first on a tie
    lines = [line for line in text.splitlines() if line.strip()]
    damaged = sum("\ufffd" in line or bool(CONTROL.search(line)) for line in lines)
    well_read = len(text) - len(text.encode("ascii", errors="ignore")) - flaws  # non-ASCII read without a flaw
    if flaws > MAX_FLAW_SHARE * max(len(text), 1) or (damaged > MAX_BAD_LINE_SHARE * len(lines) and flaws > well_read):
        binary = " and NUL bytes, so it may not be a text file" if b"\x00" in raw else ""
        raise UnknownEncoding(f"{path}: cannot tell which encoding this file uses (read as {used.upper()}, it has "
                              f"{flaws} undecodable bytes, control or unlikely characters{binary}); say which it uses "
                              "with $encoding, e.g. cp1252, latin-1 or gb18030")
    return text, used, replaced


def looks_headerless(first_line: str, named: tuple[str, ...] = ()) -> bool:
    """A one-column CSV is header-less (the CheXpert labeler's input) unless its first cell is a known name
    or one the user `named` (with --column)."""
    cell = first_line.strip().strip('"').strip()
    return column_key(cell) not in {column_key(n) for n in TEXT_COLUMN_NAMES + named}


def looks_like_name(name: str) -> bool:
    """A column name rather than report text: short, a few words, no sentence punctuation, more letters
    than digits (a first row of ids and reports taken for a header fails on one of these)."""
    if re.fullmatch(r"Unnamed: \d+", name):  # pandas' name for a blank header cell
        return True
    letters, digits = sum(c.isalpha() for c in name), sum(c.isdigit() for c in name)
    return (len(name) <= MAX_NAME_CHARS and name == name.strip() and len(name.split()) <= MAX_NAME_WORDS
            and not SENTENCE.search(name) and letters > digits)


def describe_columns(columns: Iterable[object], header_setting: str | None = None) -> str:
    """The columns, for a message: named only when every name looks like one, because the first row of a
    header-less file is a report, and no report text may reach a message or a log. `header_setting`: the
    caller's setting for a header-less file, which the advice names; a caller without one (cxrtrain) gets
    no advice, so a message never names a setting its command lacks."""
    names = [str(c) for c in columns]
    if all(looks_like_name(n) for n in names):
        return "the columns are: " + ", ".join(repr(n) for n in names)
    advice = (f"; if the file has no header row, give ${header_setting} (the columns are then Reports, column_1, "
              "column_2, ...)" if header_setting else "")
    return (f"the file has {len(names)} columns, not named here because its first row does not look like a "
            f"header and may be a report{advice}")


def headerless_columns(count: int) -> list[str]:
    return ["Reports"] + [f"column_{i}" for i in range(1, count)]


PARSER_DETAIL = re.compile(r"Expected \d+ fields in line \d+, saw \d+|EOF inside string starting at row \d+")


def _csv_error(path: Path, exc: Exception) -> UserError:
    """pandas' reason cut to the part that cannot quote the file."""
    found = PARSER_DETAIL.search(str(exc))
    return UserError(f"{path}: not a readable CSV ({found.group(0) if found else 'the parser stopped'}); "
                     "quote fields that hold commas or newlines")


def _csv_options(sep: str, header: bool) -> dict:
    """The same options for the probe of the header and the read, so both see the same first row."""
    return dict(sep=sep, header=0 if header else None, dtype=str, keep_default_na=False, na_values=[],
                skip_blank_lines=False)


def _probe_csv(path: Path, text: str, sep: str) -> pd.DataFrame:
    """The first rows, header-less, to decide on a header; a clear error for an empty or broken file."""
    try:
        return pd.read_csv(io.StringIO(text), nrows=5, **_csv_options(sep, header=False))
    except pd.errors.EmptyDataError:
        if text.strip():
            raise UserError(f"{path}: the first line is blank; a CSV starts with its header or its first row") from None
        raise UserError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise _csv_error(path, exc) from None


def json_objects(path: Path, lines: Iterable[str]) -> Iterator[dict]:
    """The object on each non-blank line; a UserError names the first line that is not one, and why, in
    words that quote none of it."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"{exc.msg} at column {exc.colno}"
        except ValueError:
            reason = "a number too long to read"
        else:
            if isinstance(value, dict):
                yield value
                continue
            reason = "a JSON value that is not an object"
        raise UserError(f"{path}: line {number} is not valid JSON ({reason}); each line must be one JSON object")


@dataclass(frozen=True)
class Chunk:
    source: Path  # the file the rows come from
    first_row: int  # position of the chunk's first data row in that file, from 0
    frame: pd.DataFrame


@dataclass(frozen=True)
class Layout:
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


def _head(path: Path) -> tuple[bytes, bool]:
    """The first block of a file, and whether more follows."""
    try:
        with open(path, "rb") as f:
            return f.read(PROBE_BYTES), bool(f.read(1))
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


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
        self._layouts: dict[Path, Layout] = {}
        self.columns = self.layout.columns

    @property
    def layout(self) -> Layout:
        """How the first file is read: its encoding, header and columns stand for the table's."""
        return self._layout(self.files[0])

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

    def _layout(self, path: Path) -> Layout:
        if path not in self._layouts:
            self._layouts[path] = self._probe(path)
        return self._layouts[path]

    def _probe(self, path: Path) -> Layout:
        kind = _kind(path)
        if kind == "parquet":
            try:
                schema = pq.ParquetFile(path).schema_arrow
            except Exception as exc:  # pyarrow raises many types for a bad file
                raise UserError(f"{path}: not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None
            index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
            return Layout(path, kind, "parquet", True, "", [n for n in schema.names if n not in index])
        raw, more = _head(path)
        text, used, _ = decode(raw, self.encoding, path, final=not more)
        cut = text.rfind("\n")
        if more and cut >= 0:
            text = text[:cut + 1]  # whole lines only
        if kind == "jsonl":
            columns = dict.fromkeys(str(k) for row in json_objects(path, text.split("\n")) for k in row)
            return Layout(path, kind, used, True, "", list(columns))
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        probe = _probe_csv(path, text, sep)
        header = self.header
        if header is None:
            header = not (probe.shape[1] == 1 and looks_headerless(text.split("\n", 1)[0], self.named))
        if header:
            names = pd.read_csv(io.StringIO(text), nrows=0, **_csv_options(sep, header=True)).columns
            return Layout(path, kind, used, True, sep, [str(c) for c in names])
        return Layout(path, kind, used, False, sep, headerless_columns(probe.shape[1]))

    def chunks(self, columns: list[str]) -> Iterator[Chunk]:
        """Chunks holding `columns` only; JSON lines without a key give blanks there, as in a whole read."""
        columns = list(dict.fromkeys(columns))
        for path in self.files:
            layout = self._layout(path)
            missing = [c for c in columns if c not in layout.columns]
            if missing and layout.kind != "jsonl":
                raise UserError(f"{path}: no column {missing[0]!r}; every part file needs the columns of the first; "
                                f"in this one {describe_columns(layout.columns)}")
            first = 0
            for frame in self._frames(layout, [c for c in columns if c in layout.columns]):
                if not len(frame):
                    continue
                if self._replaced.count:
                    self.replaced_rows += int(frame.astype(str).apply(
                        lambda col: col.str.contains("\ufffd", regex=False)).any(axis=1).sum())
                yield Chunk(path, first, frame.reindex(columns=columns).reset_index(drop=True))
                first += len(frame)

    def _frames(self, layout: Layout, columns: list[str]) -> Iterator[pd.DataFrame]:
        if layout.kind == "parquet":
            for batch in pq.ParquetFile(layout.path).iter_batches(batch_size=self.chunk_size, columns=columns):
                yield batch.to_pandas(integer_object_nulls=True)  # ints stay ints in a batch with a null id
            return
        with open(layout.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=layout.encoding, errors=self._replaced.name, newline="")
            if layout.kind == "jsonl":
                try:
                    yield from pd.read_json(text, lines=True, dtype=False, chunksize=self.chunk_size)
                except ValueError:
                    with open(layout.path, encoding=layout.encoding, errors="replace", newline="\n") as lines:
                        for _ in json_objects(layout.path, lines):
                            pass
                    raise UserError(f"{layout.path}: not readable as JSON lines; each line must be one JSON object") from None
                return
            reader = pd.read_csv(text, chunksize=self.chunk_size, **_csv_options(layout.sep, layout.header))
            try:
                for frame in reader:
                    if not layout.header:
                        frame.columns = layout.columns
                    yield frame
            except pd.errors.ParserError as exc:
                raise _csv_error(layout.path, exc) from None

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


WHOLE_CHUNK = 100_000  # rows per chunk when reading a whole table; they are concatenated anyway


@dataclass
class Table:
    """A report table and what reading it cost."""

    frame: pd.DataFrame
    encoding: str
    replaced_chars: int = 0
    replaced_rows: int = 0
    header: bool = True


def read_table(path: str | Path, encoding: str | None = None, header: bool | None = None,
               named: tuple[str, ...] = ()) -> Table:
    """A whole table (or folder of part files) as strings, never dropping a row: `ChunkedTable` read to the end, so
    every command decodes, decides on a header and words its messages the same way; `named`: column
    names the user gave, which mark a one-column file's first line as its header."""
    table = ChunkedTable(path, encoding, header, WHOLE_CHUNK, named)
    frames = [chunk.frame for chunk in table.chunks(table.columns)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=table.columns, dtype=str)
    layout = table.layout
    return Table(frame, layout.encoding, table.replaced_chars, table.replaced_rows, layout.header)


def find_column(frame: pd.DataFrame, wanted: str | None, what: str = "text",
                candidates: tuple[str, ...] = TEXT_COLUMN_NAMES, setting: str = "column",
                header_setting: str | None = None) -> str:
    """Resolve a column by exact name, then case-insensitively; detect it from common names if not given.
    `setting`: what the user gives the column with, for the message; `header_setting`: see describe_columns."""
    columns = [str(c) for c in frame.columns]
    if wanted is not None:
        if wanted in columns:
            return wanted
        matches = [c for c in columns if column_key(c) == column_key(wanted)]
        if len(matches) == 1:
            return matches[0]
        raise UserError(f"no column {wanted!r} in the input; {describe_columns(columns, header_setting)}")
    by_key = {column_key(c): c for c in columns}
    for name in candidates:
        if column_key(name) in by_key:
            return by_key[column_key(name)]
    if len(columns) == 1:
        return columns[0]
    raise UserError(f"cannot tell which column holds the report {what}; name it with ${setting}; "
                    f"{describe_columns(columns, header_setting)}")


def check_id_column(text_column: str, id_column: str | None, taken: tuple[str, ...] = ()) -> None:
    """An id column must be another column than the reports' and must not take the name of a column the
    output writes itself (`taken`): either would give the output two columns of one name."""
    if id_column is None:
        return
    if id_column == text_column:
        raise UserError(f"$id_column {id_column!r} is the column of reports, not of ids; give a column that "
                        "identifies each report, or leave $id_column out to name reports by their row")
    if id_column in taken:
        raise UserError(f"$id_column {id_column!r} has the name of a column the output writes itself; rename that "
                        "column of the input, or leave $id_column out to name reports by their row")


NUMBER = re.compile(r"\s*[-+]?(\d+[.,]?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def report_texts(values: list, column: str, source: object, first_row: int, encoding: str | None = None,
                 whole_column: bool = True) -> list:
    """The reports of a chunk's text column, each a str or None (missing), so that no cell is labelled as its
    printed form: bytes (a Parquet binary column) are decoded with `encoding` (else UTF-8); a number, bool or
    other value, or (with `whole_column`, the first chunk) a column holding only numbers, is refused: the
    column is not one of reports. Rows are named from 1, as in the file; no cell is quoted."""
    texts, numeric, filled = [], 0, 0
    for row, value in enumerate(values, first_row + 1):
        if isinstance(value, (bytes, bytearray)):
            try:
                value = bytes(value).decode(encoding or "utf-8")
            except (UnicodeDecodeError, LookupError):
                raise UserError(f"{source}: row {row}, column {column!r}: bytes that are not "
                                f"{(encoding or 'utf-8').upper()} text; say which encoding they use with $encoding, "
                                "or name the column of reports with $column") from None
        elif value is None or value is pd.NA or (isinstance(value, float) and value != value):
            texts.append(None)
            continue
        elif not isinstance(value, str):
            raise UserError(f"{source}: column {column!r} holds {type(value).__name__} values (row {row}), not report "
                            "text; name the column of reports with $column")
        texts.append(value)
        if value.strip():
            filled += 1
            numeric += bool(NUMBER.fullmatch(value))
    if whole_column and filled and numeric == filled:
        raise UserError(f"{source}: column {column!r} holds only numbers, not report text; name the column of "
                        "reports with $column")
    return texts


def concat_parquet(sources: list, target) -> None:
    """Parquet files (paths or `pa.Buffer`s) written one after another into `target` (a path or a writable
    file) under one schema: in a file whose column is all blank (ids, say) it has no type, and takes the others'."""
    schema = pa.unify_schemas([pq.read_schema(source) for source in sources])
    with pq.ParquetWriter(target, schema) as writer:
        for source in sources:
            writer.write_table(pq.read_table(source).cast(schema))
