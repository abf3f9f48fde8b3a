"""`cxrlabel extract`: label a table of reports and write the CheXpert-style labels (and mentions).

Archive scale: the input is read in chunks, chunks are labelled by worker processes (or a Dask cluster),
and each finished chunk is saved as a part with a manifest, so memory stays flat and a stopped run
continues with --resume.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ..tables import ChunkedTable
from ..archive.chunk_task import ChunkTask, Failure, JobSpec
from ..archive.dask_engine import DaskEngine
from ..archive.local_engine import LocalEngine
from ..errors import UserError
from ..output_guard import check_output, refuse_foreign
from .parsers import add_model_options
from ..en.parsers import PARSER_CHOICES
from ..archive.parts import PartStore
from ..en.labeler import CACHE_LIMIT, LabelerConfig
from ..archive.run_identity import run_identity
from ..en.sections import SECTION_CHOICES
from ..tables import PARQUET_SUFFIXES, find_column

DEFAULT_CHUNK_SIZE = 10_000

EPILOG = """\
examples:
  cxrlabel extract reports.csv                      # auto-detects the text column
  cxrlabel extract reports.csv --column "Report Impression" --id-column study_id -o labels.csv
  cxrlabel extract impressions.csv                  # header-less one-column CSV (CheXpert labeler input)
  cxrlabel extract reports.parquet --sections findings,impression --mentions-out mentions.jsonl
  cxrlabel extract reports.jsonl --parser none      # rule-only mode, no parser model needed

archive scale:
  cxrlabel extract archive.csv --workers 8 --chunk-size 20000 -o labels.parquet
  cxrlabel extract archive.csv -o labels.csv --resume          # continue a run that was stopped
  cxrlabel extract archive_parts/ -o labels/ --output-format parquet   # folder in, folder of parts out
  cxrlabel extract archive.parquet --engine dask --workers 4           # a local Dask cluster
  cxrlabel extract archive.parquet --engine dask --scheduler tcp://10.0.0.5:8786

output: the id column (if given), Reports (the text that was labelled), then one column per
observation with 1.0 (positive), 0.0 (negative), -1.0 (uncertain) or blank (not mentioned).
Every input row appears once, in input order; an empty report gives a row of blanks.

resuming: finished chunks are kept in <output>.parts/ with a manifest.json until the output is
written. After a kill, a full disk or a crash, the same command with --resume labels only what is
missing, and the output is the same as an uninterrupted run's. The input and the options that change
labels must not change in between; workers, engine and cache may. One run at a time writes an output:
a second one is refused while the first is alive.

safety: a folder output is written only when it is new, empty, or one cxrlabel wrote (it holds a hidden
.cxrlabel-output marker); a folder of your files is refused before any labelling. Files beside the
output are never touched, and an output that is an input (also through a link) is refused.

privacy: nothing is sent over the network (except to the cluster you name with --scheduler), and
messages name rows and ids, never report text, unless --log-text is given.
"""


def add_common_options(p: argparse.ArgumentParser) -> None:
    """Options shared by extract and explain: how text is chosen and labelled."""
    p.add_argument("--sections", choices=SECTION_CHOICES, default="default",
                   help="which part of each report to label. default (= pooled): FINDINGS, IMPRESSION and text "
                        "before the first header together, any positive wins, leaving out HISTORY, INDICATION, "
                        "REASON FOR EXAM, COMPARISON and TECHNIQUE; findings+impression: the same text, but for each "
                        "observation the impression mentions its verdict wins and the findings fill in the rest; "
                        "impression-or-all: the IMPRESSION (or CONCLUSION) when the report has one, else the whole "
                        "text; impression, findings, findings,impression: those sections only; all: the whole text")
    p.add_argument("--parser", choices=PARSER_CHOICES, default="spacy",
                   help="how sentences are parsed for the negation/uncertainty rules (default: spacy). "
                        "stanza, bllip: those parsers, given their model folders; ptb: the report column holds "
                        "bracketed PTB trees, one per sentence; none: rule-only with surface scope windows, "
                        "no model needed. `cxrlabel parsers` shows which are ready")
    add_model_options(p)
    p.add_argument("--lexicon-dir", action="append", default=[], metavar="DIR",
                   help="extra lexicon folder (mention/, unmention/, auxiliary/) layered over the shipped one; "
                        "a new mention/<Name>.txt adds a column <Name>; repeatable")
    p.add_argument("--rules-dir", metavar="DIR", help="use this rules folder instead of the shipped rules/en")


def add_archive_options(group: argparse._ArgumentGroup, workers: str, resume_refused: str) -> argparse._ArgumentGroup:
    """--workers, --chunk-size, --resume, --keep-parts, --engine and --scheduler: the options of every command
    that runs on the archive engine, with the help that differs per command."""
    group.add_argument("--workers", type=int, metavar="N", help=workers)
    group.add_argument("--chunk-size", type=int, metavar="ROWS",
                       help=f"rows read, labelled and saved as one part at a time (default: {DEFAULT_CHUNK_SIZE:,}); "
                            "memory grows with it, not with the input")
    group.add_argument("--resume", action="store_true",
                       help=f"continue the stopped run whose parts are in <output>.parts/; refused if {resume_refused}")
    group.add_argument("--keep-parts", action="store_true", help="keep <output>.parts/ after writing the output")
    group.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: processes on this machine (default); dask: tasks on a dask.distributed cluster")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="with --engine dask: the scheduler of an existing cluster (default: start a local one "
                            "with --workers processes)")
    return group


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="label a file of reports", description=__doc__,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="reports as CSV (with or without a header), TSV, JSONL or Parquet; or a folder of "
                                 "such part files, read in name order")
    p.add_argument("-o", "--output", help="labels to write: a .csv or .parquet file, or a folder (end it with /) that "
                                          "gets one file per chunk (default: <input name>_labels.csv beside the input)")
    p.add_argument("--output-format", choices=("csv", "parquet"),
                   help="format of the labels (default: parquet for a .parquet/.pq output, else csv)")
    p.add_argument("--column", help="column holding the report text (default: detected from names such as "
                                    "Reports, report, text, Report Impression)")
    p.add_argument("--id-column", help="column carried through to the output to identify each report")
    p.add_argument("--encoding", help="text encoding of a CSV/JSONL input (default: UTF-8, with GB18030 detected)")
    p.add_argument("--no-header", action="store_true", help="the CSV has no header row (detected for one-column files)")
    p.add_argument("--mentions-out", metavar="FILE.jsonl",
                   help="write one JSON line per mention: report id, observation, sentence, phrase, offsets, label, rule")
    scale = add_archive_options(
        p.add_argument_group("archive scale"),
        workers=f"processes labelling in parallel (default: the cores this process may use, {default_workers()} "
                "here), each chunk shared among them in pieces; the output does not depend on it",
        resume_refused="the input or an option that changes labels differs")
    scale.add_argument("--no-cache", action="store_true",
                       help="analyse every sentence afresh instead of reusing repeated ones (for benchmarks)")
    scale.add_argument("--batch-size", type=int, default=256, help="reports labelled per batch (default: 256)")
    p.add_argument("--log-text", action="store_true",
                   help="let messages quote report text (e.g. the report that failed); by default they name rows and ids only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_common_options(p)
    p.set_defaults(run=run)


def config_from(args: argparse.Namespace) -> LabelerConfig:
    return LabelerConfig(parser=args.parser, sections=args.sections, lexicon_dirs=tuple(args.lexicon_dir),
                         rules_dir=args.rules_dir, spacy_model=args.spacy_model,
                         stanza_dir=args.stanza_dir, stanza_package=args.stanza_package,
                         bllip_model=args.bllip_model, corenlp_jar=args.corenlp_jar)


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity, which a scheduler may limit), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _output(args: argparse.Namespace, source: Path) -> tuple[Path, bool, str, Path | None]:
    """(output path, whether it is a folder of parts, csv or parquet, mentions path), each refused before any
    work when writing it would replace an input, the other output, or a folder of the user's."""
    if args.output:
        output = Path(args.output)
        as_folder = args.output.endswith(("/", os.sep)) or output.is_dir()
    else:
        output, as_folder = source.with_name(source.stem + "_labels.csv"), False
    if as_folder and output.exists() and not output.is_dir():
        raise UserError(f"{output}: is a file; give a folder name for a folder of parts, or drop the final /")
    fmt = args.output_format or ("parquet" if output.suffix.lower() in PARQUET_SUFFIXES else "csv")
    check_output(output, [source])
    if as_folder:
        refuse_foreign(output)
    mentions = Path(args.mentions_out) if args.mentions_out else None
    if mentions is not None:
        check_output(mentions, [source], "--mentions-out")
        check_output(mentions, [output], "--mentions-out", what="the labels (-o)")
    return output, as_folder, fmt, mentions


class RepeatedIds:
    """Ids met more than once, across chunks: one set of the ids seen, and a count for each repeated one."""

    def __init__(self) -> None:
        self.seen: set = set()
        self.rows: dict = {}  # repeated id -> rows holding it

    def add(self, ids: list) -> None:
        for value in ids:
            if value is None:
                continue
            key = value if isinstance(value, (str, int, float)) else repr(value)  # a JSON list or object is unhashable
            if key in self.seen:
                self.rows[key] = self.rows.get(key, 1) + 1
            else:
                self.seen.add(key)

    def warning(self) -> str | None:
        """Counts only, never an id: they may identify patients."""
        if not self.rows:
            return None
        n = len(self.rows)
        return (f"cxrlabel: warning: {n} {'id appears' if n == 1 else 'ids appear'} more than once "
                f"({sum(self.rows.values())} rows); `cxrlabel evaluate` refuses duplicate ids, so make them unique "
                "before scoring")


def _id_values(column: pd.Series) -> list:
    """Ids as plain values, a missing one as None: blank in the labels, null in the mentions."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in column.tolist()]


def _failure_message(failure: Failure, column: str) -> str:
    rid = f" (id {failure.report_id!r})" if failure.report_id is not None else ""
    text = (f"; report text: {failure.text!r}" if failure.text is not None
            else "; add --log-text to show the report's text in this message")
    return f"{failure.source}: row {failure.row}{rid}, column {column!r}: {failure.message}{text}"


def _summary(store: PartStore, output: Path, hits: int, misses: int, no_cache: bool, workers: int) -> str:
    """Counts only: rows, the most frequent positives, and how often the sentence cache was used."""
    counts: dict[str, int] = {}
    for part in store.parts.values():
        for obs, n in part["positives"].items():
            counts[obs] = counts.get(obs, 0) + n
    top = ", ".join(f"{o} {n}" for o, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5] if n)
    lines = [f"cxrlabel: labelled {store.rows_done} reports -> {output} (positives: {top or 'none'})"]
    if no_cache:
        lines.append("cxrlabel: sentence cache off")
    elif hits + misses:
        lines.append(f"cxrlabel: sentence cache: {hits / (hits + misses):.1%} of {hits + misses} sentences reused "
                     f"({workers} {'worker' if workers == 1 else 'workers'})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    for name in ("batch_size", "chunk_size", "workers"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1")
    if args.scheduler and args.engine != "dask":
        raise UserError("--scheduler is for --engine dask")
    source = Path(args.input)
    output, as_folder, fmt, mentions = _output(args, source)
    with PartStore.claim(output) as store:  # locked before its manifest is read; let go however this ends
        _extract(args, source, output, as_folder, fmt, mentions, store)
    return 0


def _extract(args: argparse.Namespace, source: Path, output: Path, as_folder: bool, fmt: str, mentions: Path | None,
             store: PartStore) -> None:
    chunk_size = args.chunk_size or (store.saved_chunk_size() if args.resume else None) or DEFAULT_CHUNK_SIZE
    table = ChunkedTable(source, encoding=args.encoding, header=False if args.no_header else None, chunk_size=chunk_size,
                         named=tuple(c for c in (args.column, args.id_column) if c))
    columns = pd.DataFrame(columns=table.columns)
    text_column = find_column(columns, args.column)
    id_column = find_column(columns, args.id_column, what="ids", option="--id-column") if args.id_column else None
    config = config_from(args)
    identity = run_identity(table.identity(), config, column=text_column, id_column=id_column, encoding=args.encoding,
                            no_header=args.no_header, chunk_size=chunk_size, output_format=fmt,
                            folder_output=as_folder, mentions=mentions is not None)
    store.begin(identity, args.resume)
    if args.resume and not args.quiet:
        again = f"; {store.dropped} damaged parts will be labelled again" if store.dropped else ""
        print(f"cxrlabel: resuming: {store.rows_done} rows in {len(store.parts)} parts are done{again}" if store.parts
              else f"cxrlabel: nothing to resume in {store.folder}; starting from the first row", file=sys.stderr)
    spec = JobSpec(config, 0 if args.no_cache else CACHE_LIMIT, fmt, id_column, mentions is not None,
                   args.batch_size, args.log_text)
    total = table.count_rows()
    workers = args.workers or default_workers()
    if args.engine == "local" and total is not None:  # each worker gets a batch at least, else it is not started
        # (a pool pays even for a single chunk: 1,000 reports took 5.8 s with 2 workers, 10.3 s in this process)
        workers = max(1, min(workers, math.ceil((total - store.rows_done) / args.batch_size)))
    seen = {"chunks": 0, "rows": 0}
    repeated = RepeatedIds()

    def chunks():
        try:
            yield from table.chunks([text_column] + ([id_column] if id_column else []))
        except UserError:  # a part file that cannot be read: the input must change, so no part could be resumed
            store.discard()
            raise

    def tasks():
        for chunk in chunks():
            index, start, rows = seen["chunks"], seen["rows"], len(chunk.frame)
            seen["chunks"], seen["rows"] = index + 1, start + rows
            ids = _id_values(chunk.frame[id_column]) if id_column else None
            if ids is not None:
                repeated.add(ids)
            if not store.is_done(index, start, rows):
                yield ChunkTask(index, start, str(chunk.source), chunk.first_row, chunk.frame[text_column].tolist(), ids)
        if not seen["chunks"] and not store.is_done(0, 0, 0):  # no rows: one empty part still gives the header
            yield ChunkTask(0, 0, str(source), 0, [], [] if id_column else None)

    hidden = config.unused_packages()
    engine = (DaskEngine(workers, args.scheduler, hidden) if args.engine == "dask"
              else LocalEngine(workers, hidden))
    hits = misses = 0
    with engine, tqdm(total=total, initial=store.rows_done, unit="report", disable=args.quiet or None,
                      file=sys.stderr) as bar:
        for result in engine.map(tasks(), spec, bar.update):
            if result.failure:  # the input must change, so these parts could not be resumed
                store.discard()
                raise UserError(_failure_message(result.failure, text_column))
            store.add(result)
            hits, misses = hits + result.cache_hits, misses + result.cache_misses
    store.assemble(output, as_folder, mentions)
    if not args.keep_parts:
        store.discard()
    if table.replaced_chars:
        print(f"cxrlabel: warning: {table.replaced_chars} undecodable bytes in {table.replaced_rows} rows were "
              "replaced with U+FFFD; give --encoding to read them correctly", file=sys.stderr)
    warning = repeated.warning()
    if warning:
        print(warning, file=sys.stderr)
    if not args.quiet:
        print(_summary(store, output, hits, misses, args.no_cache, engine.workers), file=sys.stderr)
