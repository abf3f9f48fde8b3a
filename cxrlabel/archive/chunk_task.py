"""What crosses between the process that writes an archive's parts and the workers that label its chunks:
a task (a chunk, or a piece of one) and its result, already serialised as the bytes of its part files
(CSV or Parquet, and JSON lines), so workers do that work in parallel and the writing process only copies
bytes. Each labeller (`en.chunks`, `zh.label_run`) gives the function that turns one into the other."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from typing import Protocol

import pandas as pd
import pyarrow as pa

from ..tables import concat_parquet

# What a labeller learned from the sentences of a piece (a key of the sentence -> its analysis), passed on to
# the workers that take the next pieces; the archive only carries it.
Learned = dict[bytes, object]


class TaskSpec(Protocol):
    """What the engines read of the spec every task of a run shares (each labeller's spec has more)."""

    cache_limit: int  # 0: the labeller keeps no memory that workers could share
    batch_size: int
    output_format: str  # csv or parquet


@dataclass(kw_only=True)
class ChunkTask:
    index: int
    start: int  # position of the chunk's first row in the whole input, from 0
    source: str  # the input file, for messages
    source_row: int  # position of the chunk's first row in that file, from 0
    texts: list
    ids: list | None  # the id column's values as read; None: reports are named by their position
    # analyses other workers made lately, for this worker's sentence memory; None: workers share nothing
    known: list[Learned] | None = None


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A report that could not be labelled, named by file, row and id; its text only when the user allows it."""

    source: str
    row: int  # data row in the file, from 1, as a spreadsheet shows it
    report_id: object
    message: str
    text: str | None


@dataclass(kw_only=True)
class ChunkResult:
    """A labelled chunk (or piece), or the failure that stopped it (which holds no labels)."""

    index: int
    start: int
    rows: int
    columns: list[str] = field(default_factory=list)  # the output header
    labels: bytes = b""  # headerless CSV, or a Parquet file
    mentions: bytes | None = None
    positives: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    failure: Failure | None = None
    learned: Learned | None = None  # this task's fresh analyses, when it was given `known`
    counts: dict[str, int] | None = None  # tallies a task function may add (zh label's clauses), kept per part


def label_csv(frame: pd.DataFrame) -> bytes:
    """Label rows as CSV lines. pandas quotes a field with a line feed but not one with a lone carriage return,
    which every reader takes as a line break: a chunk holding one quotes all its text cells instead."""
    text = frame.select_dtypes(exclude="number")
    carriage = any(text[c].astype(str).str.contains("\r", regex=False).any() for c in text.columns)
    return frame.to_csv(index=False, header=False,
                        quoting=csv.QUOTE_NONNUMERIC if carriage else csv.QUOTE_MINIMAL).encode("utf-8")


def encode_labels(frame: pd.DataFrame, output_format: str) -> bytes:
    """A chunk's label rows as the bytes of its part: Parquet, or CSV lines without a header."""
    if output_format == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return label_csv(frame)


def split_task(task: ChunkTask, pieces: int, least: int) -> list[ChunkTask]:
    """The chunk as up to `pieces` tasks of at least `least` rows each, in order.

    A chunk is the unit a run saves and resumes; a piece is the unit workers share. With whole chunks,
    the worker that finishes last would leave the others idle for up to one chunk's time."""
    rows = len(task.texts)
    size = max(least, -(-rows // max(pieces, 1)), 1)
    if rows <= size:
        return [task]
    return [ChunkTask(index=task.index, start=task.start + begin, source=task.source, source_row=task.source_row + begin,
                      texts=task.texts[begin:begin + size],
                      ids=task.ids[begin:begin + size] if task.ids is not None else None)
            for begin in range(0, rows, size)]


def merge_results(pieces: list[ChunkResult], output_format: str) -> ChunkResult:
    """One chunk's result from its pieces' results, in order: the same as labelling the chunk whole."""
    if len(pieces) == 1:
        return pieces[0]
    failed = next((p for p in pieces if p.failure), None)
    if failed is not None:
        return replace(failed, start=pieces[0].start, rows=sum(p.rows for p in pieces))
    if output_format == "parquet":
        buffer = io.BytesIO()
        concat_parquet([pa.py_buffer(p.labels) for p in pieces], buffer)
        labels = buffer.getvalue()
    else:
        labels = b"".join(p.labels for p in pieces)
    mentions = None if pieces[0].mentions is None else b"".join(p.mentions for p in pieces)
    positives = {o: sum(p.positives[o] for p in pieces) for o in pieces[0].positives}
    counts = None if pieces[0].counts is None else {k: sum(p.counts[k] for p in pieces) for k in pieces[0].counts}
    return ChunkResult(index=pieces[0].index, start=pieces[0].start, rows=sum(p.rows for p in pieces),
                       columns=pieces[0].columns, labels=labels, mentions=mentions, positives=positives,
                       cache_hits=sum(p.cache_hits for p in pieces), cache_misses=sum(p.cache_misses for p in pieces),
                       counts=counts)
