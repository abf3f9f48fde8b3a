"""`cxrlabel extract`: label a table of reports and write the CheXpert-style labels (and mentions).

Archive scale: the input is read in chunks, chunks are labelled by worker processes (or a Dask cluster),
and each finished chunk is saved as a part with a manifest, so memory stays flat and a stopped run
continues with --resume.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive.scale import default_workers
from ..en.settings import BATCH_SIZE, CACHE_LIMIT
from ..errors import UserError
from ..output_guard import STDOUT, check_output, refuse_foreign
from .options import add_archive_options, add_common_options, add_labeler_options, config_from, reading, scale_from

if TYPE_CHECKING:  # the engine, the labeller and pandas load in run, so that `extract --help` is quick
    from ..archive.write import ArchiveInput, WrittenArchive
    from ..en.labeler import LabelerConfig

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
output are never touched, and an output that is an input (also through a link) is refused, as is a file
another cxrlabel or cxrtrain command wrote into a folder it made. -o - writes the labels to standard
output; a device, FIFO or pipe (-o /dev/null, -o >(gzip > l.csv.gz)) is written into, never replaced.
Such a run keeps its parts in a private temporary folder, so it cannot be resumed. A full or read-only
disk stops the run with one line naming the file, and leaves no partial output.

privacy: nothing is sent over the network (except to the cluster you name with --scheduler), and
messages name rows and ids, never report text, unless --log-text is given.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="label a file of reports", description=__doc__,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="reports as CSV (with or without a header), TSV, JSONL or Parquet; or a folder of "
                                 "such part files, read in name order")
    p.add_argument("-o", "--output", help="labels to write: a .csv or .parquet file, a folder (end it with /) that "
                                          "gets one file per chunk, or - for standard output (default: <input "
                                          "name>_labels.csv beside the input)")
    p.add_argument("--output-format", choices=("csv", "parquet"),
                   help="format of the labels (default: parquet for a .parquet/.pq output, else csv)")
    p.add_argument("--column", help="column holding the report text (default: detected from names such as "
                                    "Reports, report, text, Report Impression)")
    p.add_argument("--id-column", help="column carried through to the output to identify each report")
    p.add_argument("--no-header", action="store_true", help="the CSV has no header row (detected for one-column files)")
    p.add_argument("--mentions-out", metavar="FILE.jsonl",
                   help="write one JSON line per mention: report id, observation, sentence, phrase, offsets, label, "
                        "rule (- for standard output)")
    scale = add_archive_options(
        p.add_argument_group("archive scale"),
        workers=f"processes labelling in parallel (default: the cores this process may use, {default_workers()} "
                "here), each chunk shared among them in pieces; the output does not depend on it",
        resume_refused="the input or an option that changes labels differs")
    scale.add_argument("--no-cache", action="store_true",
                       help="analyse every sentence afresh instead of reusing repeated ones (for benchmarks)")
    scale.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                       help=f"reports labelled per batch (default: {BATCH_SIZE})")
    add_common_options(p)
    add_labeler_options(p)
    p.set_defaults(run=run)


@dataclass(frozen=True)
class Outputs:
    labels: Path
    as_folder: bool  # a folder of one part file per chunk
    format: str  # csv or parquet
    mentions: Path | None


def _outputs(args: argparse.Namespace, source: Path) -> Outputs:
    """Where the labels (and mentions) go, each refused before any work when writing it would replace an
    input, the other output, or a folder of the user's."""
    from ..tables import PARQUET_SUFFIXES

    if args.output:
        output = Path(args.output)
        as_folder = args.output != STDOUT and (args.output.endswith(("/", os.sep)) or output.is_dir())
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
        if str(mentions) == str(output) == STDOUT:
            raise UserError("$output and $mentions_out are both - (standard output); send one of them to a file")
        check_output(mentions, [source], "mentions_out")
        check_output(mentions, [output], "mentions_out", what="the labels (-o)")
    return Outputs(output, as_folder, fmt, mentions)


def _summary(written: WrittenArchive, output: Path, no_cache: bool) -> str:
    """Counts only: rows, the most frequent positives, and how often the sentence cache was used."""
    counts: dict[str, int] = {}
    for part in written.parts:
        for obs, n in part["positives"].items():
            counts[obs] = counts.get(obs, 0) + n
    top = ", ".join(f"{o} {n}" for o, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5] if n)
    lines = [f"cxrlabel: labelled {written.rows} reports -> {output} (positives: {top or 'none'})"]
    tally = written.tally
    seen = tally.cache_hits + tally.cache_misses
    if no_cache:
        lines.append("cxrlabel: sentence cache off")
    elif seen:
        lines.append(f"cxrlabel: sentence cache: {tally.cache_hits / seen:.1%} of {seen} sentences reused "
                     f"({tally.workers} {'worker' if tally.workers == 1 else 'workers'})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..archive.write import ArchiveCommand, ArchiveOutput, write_archive
    from ..en.chunks import OPTION_NAMES, label_chunk

    if args.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    scale = scale_from(args)
    source = Path(args.input)
    outputs = _outputs(args, source)
    scale.check(outputs.labels)
    config = config_from(args)
    command = ArchiveCommand(name="cxrlabel extract", work=label_chunk, option_names=OPTION_NAMES,
                             hidden=config.unused_packages())
    written = write_archive(command, ArchiveOutput(labels=outputs.labels, as_folder=outputs.as_folder,
                                                   mentions=outputs.mentions),
                            scale, lambda chunk_size: _open_input(args, source, chunk_size, config, outputs),
                            quiet=args.quiet)
    _report(args, written, outputs.labels)
    return 0


def _open_input(args: argparse.Namespace, source: Path, chunk_size: int, config: LabelerConfig,
                outputs: Outputs) -> ArchiveInput:
    """The input table read in chunks, its text and id columns (None: reports are named by row), the spec
    every chunk shares and the options that change the labels."""
    import pandas as pd

    from ..archive.write import ArchiveInput
    from ..en.chunks import JobSpec, run_options
    from ..tables import ChunkedTable, check_id_column, find_column

    table = ChunkedTable(source, chunk_size=chunk_size, **reading(args))
    columns = pd.DataFrame(columns=table.columns)
    text_column = find_column(columns, args.column, header_setting="no_header")
    id_column = (find_column(columns, args.id_column, what="ids", setting="id_column", header_setting="no_header")
                 if args.id_column else None)
    check_id_column(text_column, id_column, taken=("Reports",))
    spec = JobSpec(config=config, cache_limit=0 if args.no_cache else CACHE_LIMIT, output_format=outputs.format,
                   id_column=id_column, mentions=outputs.mentions is not None, batch_size=args.batch_size,
                   log_text=args.log_text)
    options = run_options(config, column=text_column, id_column=id_column, encoding=args.encoding,
                          no_header=args.no_header, chunk_size=table.chunk_size, output_format=outputs.format,
                          folder_output=outputs.as_folder, mentions=outputs.mentions is not None)
    return ArchiveInput(table=table, text_column=text_column, id_column=id_column, spec=spec, options=options)


def _report(args: argparse.Namespace, written: WrittenArchive, output: Path) -> None:
    """Warnings always; the summary unless --quiet."""
    from ..en.chunks import FAILED, NO_SECTION
    from ..en.labeler import unlabelled_warning

    failed = written.count(FAILED)
    if failed:
        print(f"cxrlabel: warning: {failed} report{'s' if failed > 1 else ''} could not be labelled and "
              f"{'have' if failed > 1 else 'has'} blank labels in {output} (each was named as it was met); "
              "please report it, with the error's name, to the cxrlabel developers", file=sys.stderr)
    unlabelled = written.count(NO_SECTION)
    if unlabelled:
        message = UserError(unlabelled_warning(unlabelled, written.rows, args.sections)).worded(args.flags)
        print(f"cxrlabel: warning: {message}", file=sys.stderr)
    if not args.quiet:
        print(_summary(written, output, args.no_cache), file=sys.stderr)
