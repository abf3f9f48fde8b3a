"""`cxrlabel zh label` at archive scale, on the engine `cxrlabel extract` uses.

The input is read in chunks (`ChunkedTable`), each chunk is labelled by `label_zh_chunk` (a pure function
of its reports, built on `label.label_reports`) in this process, in worker processes or on a Dask
cluster, and each finished chunk is kept as a part (`PartStore`), so memory stays flat and a stopped
run continues with --resume. The run identity holds digests of the label map, model.json, the clause
overrides and the zh rule files, so a resumed run never mixes labels from two reviews.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from .. import __version__
from ..tables import ChunkedTable
from ..archive.chunk_task import ChunkResult, ChunkTask, encode_labels
from ..archive.dask_engine import DaskEngine
from ..archive.local_engine import LocalEngine
from ..errors import UserError
from ..cli.extract import RepeatedIds, default_workers
from ..archive.parts import PartStore
from ..archive.run_identity import files_digest
from ..tables import PARQUET_SUFFIXES
from .data_files import lexicons_folder, load_zh_data, rules_folder
from .label import Labeler, label_reports
from .model_file import SavedModel
from .preprocess import ClausePreprocessor

COUNTS = ("clauses", "unassigned", "dropped", "overridden")


@dataclass(frozen=True)
class ZhJobSpec:
    """What every chunk of a zh label run shares; picklable, it travels with each task. `cache_limit`,
    `batch_size` and `output_format` are what the engines read of a spec."""

    model: SavedModel
    mapping: dict[int, str | None]
    overrides: dict[str, str | None]
    max_distance: float
    distance_threads: int  # rapidfuzz threads per process: all cores in one process, one per worker
    key: str  # digest of the model, map and overrides: a process keeps the Labeler built for it
    id_column: str
    text_column: str
    row_ids: bool  # ids are row numbers, counted from the chunk's start
    output_format: str
    batch_size: int
    cache_limit: int = 0  # no sentence memory to share between workers


_LABELERS: dict[tuple[str, int], Labeler] = {}


def labeler_for_spec(spec: ZhJobSpec) -> Labeler:
    """The Labeler for `spec`, built once per process (jieba and the word lists load once)."""
    key = (spec.key, spec.distance_threads)
    if key not in _LABELERS:
        _LABELERS.clear()
        model = spec.model
        pre = ClausePreprocessor(load_zh_data(model.rules_dir, model.lexicon_dir),
                                 drop_laterality=model.drop_laterality, sections=model.sections)
        _LABELERS[key] = Labeler.build(pre, model, spec.mapping, spec.max_distance, spec.distance_threads,
                                       spec.overrides)
    return _LABELERS[key]


def label_zh_chunk(task: ChunkTask, spec: ZhJobSpec) -> ChunkResult:
    """One chunk's label rows (id, text, labels, n_labels, single_label, unassigned) as part-file bytes."""
    labeler = labeler_for_spec(spec)
    frames, counts = [], dict.fromkeys(COUNTS, 0)
    for begin in range(0, max(len(task.texts), 1), spec.batch_size):
        batch = label_reports(task.texts[begin:begin + spec.batch_size], labeler)
        frames.append(batch.frame.astype({label: "float64" for label in labeler.labels}))
        for name, n in zip(COUNTS, (batch.n_clauses, batch.n_unassigned, batch.n_dropped, batch.n_overridden)):
            counts[name] += n
    frame = pd.concat(frames, ignore_index=True)
    ids = (task.ids if not spec.row_ids else [str(task.start + i + 1) for i in range(len(task.texts))])
    frame.insert(0, spec.text_column, task.texts)
    frame.insert(0, spec.id_column, ids)
    data = encode_labels(frame, spec.output_format)
    positives = {label: int((frame[label] == 1.0).sum()) for label in labeler.labels}
    return ChunkResult(task.index, task.start, len(frame), [str(c) for c in frame.columns], data, None, positives,
                       0, 0, counts=counts)


def identity(table: ChunkedTable, args: argparse.Namespace, spec: ZhJobSpec, chunk_size: int,
             label_map: Path, model_path: Path, overrides_path: Path) -> dict:
    """What --resume checks: the input, the options that change the output, and the reviewed files."""
    model = spec.model
    return {"input": table.identity(),
            "options": {"version": __version__, "command": "zh label", "column": spec.text_column,
                        "id_column": spec.id_column, "encoding": args.encoding, "no_header": args.no_header,
                        "chunk_size": chunk_size, "output_format": spec.output_format,
                        "max_distance": spec.max_distance,
                        "label_map_sha256": files_digest([label_map]), "model_sha256": files_digest([model_path]),
                        "clause_overrides_sha256": files_digest([overrides_path]),
                        "zh_rules_sha256": files_digest([rules_folder(model.rules_dir),
                                                         lexicons_folder(model.lexicon_dir)])}}


def output_format(output: Path) -> str:
    return "parquet" if output.suffix.lower() in PARQUET_SUFFIXES else "csv"


def check_scale_options(args: argparse.Namespace) -> None:
    for name in ("chunk_size", "workers"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1")
    if args.scheduler and args.engine != "dask":
        raise UserError("--scheduler is for --engine dask")


def run_chunks(args: argparse.Namespace, table: ChunkedTable, spec: ZhJobSpec, chunk_size: int,
               reviewed: tuple[Path, Path, Path], store: PartStore) -> dict[str, int]:
    """Label every chunk not yet in `store`, then write the output; returns the clause tallies of all parts."""
    store.begin(identity(table, args, spec, chunk_size, *reviewed), args.resume)
    if args.resume:
        print(f"resuming: {store.rows_done} rows in {len(store.parts)} parts are done" if store.parts
              else f"nothing to resume in {store.folder}; starting from the first row", file=sys.stderr)
    total = table.count_rows()
    workers = args.workers or default_workers()
    if args.engine == "local" and total is not None:  # a worker is started only for a batch of its own
        workers = max(1, min(workers, math.ceil((total - store.rows_done) / spec.batch_size)))
    spec = replace(spec, distance_threads=-1 if workers == 1 and args.engine == "local" else 1)
    seen = {"chunks": 0, "rows": 0}
    repeated = RepeatedIds()
    columns = [spec.text_column] + ([] if spec.row_ids else [spec.id_column])

    def tasks():
        for chunk in table.chunks(columns):
            index, start, rows = seen["chunks"], seen["rows"], len(chunk.frame)
            seen["chunks"], seen["rows"] = index + 1, start + rows
            ids = None if spec.row_ids else chunk.frame[spec.id_column].astype(str).tolist()
            if ids is not None:
                repeated.add(ids)
            if not store.is_done(index, start, rows):
                texts = chunk.frame[spec.text_column].fillna("").astype(str).tolist()
                yield ChunkTask(index, start, str(chunk.source), chunk.first_row, texts, ids)
        if not seen["chunks"] and not store.is_done(0, 0, 0):  # no rows: one empty part still gives the header
            yield ChunkTask(0, 0, str(table.path), 0, [], None if spec.row_ids else [])

    engine = (DaskEngine(workers, args.scheduler, work=label_zh_chunk) if args.engine == "dask"
              else LocalEngine(workers, work=label_zh_chunk))
    with engine, tqdm(total=total, initial=store.rows_done, unit="report", desc="labelling", disable=None,
                      file=sys.stderr) as bar:
        for result in engine.map(tasks(), spec, bar.update):
            store.add(result)
    store.assemble(args.output, False, None)
    if repeated.rows:
        n = sum(repeated.rows.values()) - len(repeated.rows)
        print(f"cxrlabel: warning: {n} reports share an id with an earlier report in column {spec.id_column!r}; "
              "every row is kept, in input order, so match labels to reports by row", file=sys.stderr)
    return {name: sum(p.get("counts", {}).get(name, 0) for p in store.parts.values()) for name in COUNTS}
