"""Whole report tables, for the commands that hold one in memory, and finding the column that holds the text.

`read_table` is `chunked_io.ChunkedTable` read to the end, so every command decodes, decides on a header,
counts replaced bytes and words its messages the same way; see that module for how.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .chunked_io import PARQUET_SUFFIXES, TEXT_COLUMN_NAMES, ChunkedTable, column_key, describe_columns
from .errors import UserError

__all__ = ["PARQUET_SUFFIXES", "TEXT_COLUMN_NAMES", "Table", "concat_parquet", "find_column", "read_table"]
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
    """Read any supported table (or folder of part files) into strings, never dropping a row; `named`: column
    names the user gave, which mark a one-column file's first line as its header."""
    table = ChunkedTable(path, encoding, header, WHOLE_CHUNK, named)
    frames = [chunk.frame for chunk in table.chunks(table.columns)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=table.columns, dtype=str)
    layout = table.layout
    return Table(frame, layout.encoding, table.replaced_chars, table.replaced_rows, layout.header)


def find_column(frame: pd.DataFrame, wanted: str | None, what: str = "text",
                candidates: tuple[str, ...] = TEXT_COLUMN_NAMES, option: str = "--column") -> str:
    """Resolve a column by exact name, then case-insensitively; detect it from common names if not given."""
    columns = [str(c) for c in frame.columns]
    if wanted is not None:
        if wanted in columns:
            return wanted
        matches = [c for c in columns if column_key(c) == column_key(wanted)]
        if len(matches) == 1:
            return matches[0]
        raise UserError(f"no column {wanted!r} in the input; {describe_columns(columns)}")
    by_key = {column_key(c): c for c in columns}
    for name in candidates:
        if column_key(name) in by_key:
            return by_key[column_key(name)]
    if len(columns) == 1:
        return columns[0]
    raise UserError(f"cannot tell which column holds the report {what}; name it with {option}; "
                    f"{describe_columns(columns)}")


def concat_parquet(sources: list, target) -> None:
    """Parquet files (paths or `pa.Buffer`s) written one after another into `target` (a path or a writable
    file) under one schema: in a file whose column is all blank (ids, say) it has no type, and takes the others'."""
    schema = pa.unify_schemas([pq.read_schema(source) for source in sources])
    with pq.ParquetWriter(target, schema) as writer:
        for source in sources:
            writer.write_table(pq.read_table(source).cast(schema))
