"""`cxrlabel zh mine` and `cxrlabel zh label`: argument parsing, reading, printing counts.

Nothing printed here contains report text: only counts, ids, file names and cluster numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive.scale import default_workers
from ..errors import UserError
from ..output_guard import STDOUT, check_output
from ..zh.data_files import load_zh_data
from ..zh.model_file import MODEL_FILE
from ..zh.settings import (ALL_CORES, DEFAULT_MAX_DISTANCE, DISTANCES, KMEDOIDS_CHOICES, OVERRIDES_FILE,
                           SECTION_CHOICES)
from .options import add_archive_options, add_common_options, reading, scale_from

if TYPE_CHECKING:  # mining, labelling and pandas load in the run_* functions, so that `zh --help` is quick
    import pandas as pd

    from ..archive.write import ArchiveInput, WrittenArchive
    from ..zh.label import LabelMap
    from ..zh.model_file import SavedModel

ID_CANDIDATES = ("id", "report_id", "reportid", "accession", "accession_number", "检查号", "报告号", "编号")

MINE_EPILOG = """\
How it works: each diagnosis is split into clauses (numbered items, 。；，, line breaks) and each
clause into parts at 、 及 和 … and at cue boundaries, so a cue governs only its own part;
boilerplate (请结合临床, 建议复查 …) is dropped; negation, uncertainty and normal cues (未见, 考虑,
不大, 锐利 …, rules/zh/) give each part its value and are removed, as are digits, sizes, dates and
(by default) laterality. The finding parts are clustered by normalised character Levenshtein
distance, steered by lexicons/zh/known_findings.tsv (--no-guide for plain distance), with weighted
k-medoids. Normal descriptions (心影不大) are then assigned to the nearest finding (心影增大) with
value 0.0, but take no part in the fit.

examples:
  cxrlabel zh mine reports.csv --column 诊断 --out mined/             # k chosen: a cluster per frequent finding
  cxrlabel zh mine reports.csv --column 诊断 -k 10 --out mined/
  cxrlabel zh mine reports.csv --column 诊断 --k-range 5:40 --out mined/
  cxrlabel zh mine archive.parquet --column 诊断 -k 20 --sample 5000 --out mined/   # 1M reports

then open mined/clusters.html in a browser (mixed clusters are flagged, unassigned clauses listed
apart; it works offline): name each cluster or drop it (-), choosing a CheXpert name or a known
finding or typing one (Chinese names are fine: 正常 is No Finding, 心影增大 becomes Cardiomegaly, see
lexicons/zh/chexpert_names.tsv), click a clause to give it its own label, download label_map.csv
and clause_overrides.csv into mined/ (replacing label_map.csv), and run
  cxrlabel zh label reports.csv --label-map mined/label_map.csv -o labels.csv

--out: a new or empty folder, or one zh mine wrote (it holds a .cxrlabel-output marker); a folder
with other files, or one holding the input, is refused. Mining again into the same folder replaces
its outputs while label_map.csv is the one it wrote. Once label_map.csv is edited, a rerun there
writes nothing and exits 2: the edits are kept, and so is the model.json they belong to (cluster
numbers differ between runs). Mine into a new --out, or move label_map.csv and model.json out
together. zh label refuses a map whose medoids are not its model's, e.g. a map from another run.
"""

LABEL_EPILOG = """\
Each clause goes to its nearest medoid in model.json (beside the label map); clusters map to
labels through label_map.csv, where several clusters may share a label and "-" drops one.
Its medoid column ties the map to its model: a map from another mine run is refused (exit 2).
clause_overrides.csv (clause,label; "-" drops) labels single clause parts before that step. Labels
that correspond to a CheXpert observation get its name (正常/normal -> No Finding, 胸腔积液 ->
Pleural Effusion; lexicons/zh/chexpert_names.tsv), so the output trains with cxrtrain as an
English label table does. Per report and label (CheXpert precedence): any positive part 1.0, else
any uncertain -1.0, else any negated or normal 0.0, else blank. No Finding = 1.0 when every part
is negated, a normal description or in a normal cluster. n_labels counts the 1.0 labels;
single_label names the label when it is the only one; unassigned counts the finding parts
farther than --max-distance from every medoid (a report of only those has no label at all).

examples:
  cxrlabel zh label reports.csv --label-map mined/label_map.csv -o labels.csv
  cxrlabel zh label new.csv --column 诊断结果 --label-map mined/label_map.csv --max-distance 0.4 -o new_labels.csv

archive scale (the engine of cxrlabel extract):
  cxrlabel zh label archive.csv --label-map mined/label_map.csv --workers 8 --chunk-size 20000 -o labels.parquet
  cxrlabel zh label archive.csv --label-map mined/label_map.csv -o labels.csv --resume   # after a stop
  cxrlabel zh label archive.parquet --label-map mined/label_map.csv --engine dask --workers 4 -o labels.csv

The input is read --chunk-size rows at a time and each finished chunk is kept in <output>.parts/ until
the output is written, so memory stays flat and a stopped run continues with --resume; the output is
the same as one uninterrupted pass, whatever --workers, --chunk-size or --engine. --resume is refused
(exit 2) when the input, --max-distance, the label map, model.json, the clause overrides or the zh
rule files changed: labels from two reviews are never mixed in one file.
"""


SPLIT_EPILOG = """\
Only the members of cluster N are clustered again: the finding parts whose nearest medoid it is,
weighted by frequency, with the distance, guide and seed of the mine (model.json). The sub-cluster
that holds N's medoid keeps the number N and its label; the others get the next free numbers and a
suggested label (as zh mine pre-fills), marked with N in a split_from column of label_map.csv. Every
other row keeps its label as you wrote it. All clauses are then assigned again as zh label will,
so clusters.csv, assignments.csv and clusters.html show the new clusters; model.json and
label_map.csv are rewritten together (so the map still fits its model).

A label map you edited stays marked as edited: a later zh mine into this folder still refuses to
replace it. One that was as zh mine wrote it stays replaceable.

examples:
  cxrlabel zh split mined/ --cluster 3 -k 2      # then review mined/clusters.html again
  cxrlabel zh split mined/ --cluster 7 -k 3 --max-distance 0.4
"""


def _k_range(text: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW:HIGH, e.g. 5:40") from None
    if not 2 <= low <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: need 2 <= LOW <= HIGH")
    return low, high


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="reports: CSV, TSV, JSONL or Parquet")
    parser.add_argument("--column", help="column holding the diagnosis or the whole report (default: detect "
                                          "诊断, 诊断意见, 影像诊断, 印象, 结论, 报告内容 …)")
    parser.add_argument("--id-column", help="column holding the report id (default: detect id/report_id, else row numbers)")
    parser.add_argument("--no-header", action="store_true",
                        help="the CSV has no header row (detected for one-column files); its columns are then "
                             "Reports, column_1, ...")
    add_common_options(parser, encoding="text encoding of the reports if detection fails (utf-8, gb18030 …)")


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """Distance threads are not worker processes, so they are not --workers (that name stays, hidden, for
    scripts written before the rename)."""
    parser.add_argument("--threads", type=int, default=ALL_CORES, help="threads computing distances (default: all cores)")
    parser.add_argument("--workers", type=int, dest="threads", help=argparse.SUPPRESS)


def _quietly(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """-q for a command that writes no table to standard output: the counts it prints there are left out;
    warnings and errors (standard error) are not."""
    @functools.wraps(run)
    def command(args: argparse.Namespace) -> int:
        if not args.quiet:
            return run(args)
        with contextlib.redirect_stdout(io.StringIO()):
            return run(args)
    return command


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `zh` command group to the cxrlabel parser."""
    zh = sub.add_parser("zh", help="mine and apply labels for Chinese chest X-ray diagnoses",
                        description="Chinese chest X-ray report labels: mine clause clusters, then label reports.")
    zh_sub = zh.add_subparsers(dest="zh_command", metavar="SUBCOMMAND")
    zh_sub.required = True

    m = zh_sub.add_parser("mine", help="cluster diagnosis clauses into candidate labels",
                          description="Cluster the clauses of Chinese diagnoses with k-medoids to find label candidates.",
                          epilog=MINE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_input_options(m)
    group = m.add_mutually_exclusive_group()
    group.add_argument("-k", type=_positive, default=None,
                       help="number of clusters (default: chosen, one per known finding that 2 reports hold "
                            "and one per other wording that 5 reports hold)")
    group.add_argument("--k-range", type=_k_range, metavar="LOW:HIGH",
                       help="try every k in the range and keep the best weighted silhouette")
    m.add_argument("--distance", choices=DISTANCES, default="chars",
                   help="edit distance over characters (default) or jieba tokens; normalised to 0..1")
    m.add_argument("--guide", action=argparse.BooleanOptionalAction, default=True,
                   help="steer the distance with lexicons/zh/known_findings.tsv: clauses it gives different findings "
                        "are kept apart, alike ones drawn together (default on; --no-guide: plain edit distance)")
    m.add_argument("--drop-laterality", action=argparse.BooleanOptionalAction, default=True,
                   help="remove 左/右/双侧/两下 … before clustering, so left and right findings cluster together "
                        "(default on; labels never carry a side)")
    m.add_argument("--sections", choices=SECTION_CHOICES, default="diagnosis",
                   help="diagnosis (default): a whole report is read from its 诊断/诊断意见/印象/结论 section, "
                        "findings (所见) left out (headings: lexicons/zh/sections.tsv); all: every line. "
                        "zh label reads reports the same way")
    add_threads_option(m)
    m.add_argument("--kmedoids", choices=KMEDOIDS_CHOICES, default="kmedoids",
                   help="k-medoids implementation: kmedoids (FasterPAM, default) or sklearn-extra")
    m.add_argument("--engine", choices=KMEDOIDS_CHOICES, dest="kmedoids",  # its name before 0.2
                   help=argparse.SUPPRESS)
    m.add_argument("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE,
                   help="clusters.html lists clauses farther than this from every medoid apart, as unassigned; "
                        f"give zh label the same value (default {DEFAULT_MAX_DISTANCE})")
    m.add_argument("--seed", type=int, default=0, help="random seed; same seed, same clusters (default 0)")
    m.add_argument("--sample", type=_positive, metavar="N",
                   help="fit on samples of N distinct clauses (CLARA) instead of one full matrix; for big archives")
    m.add_argument("--samples", type=_positive, default=5, help="how many samples with --sample (default 5)")
    m.add_argument("--out", type=Path, required=True, help="output folder")
    m.add_argument("--rules-dir",
                   help="folder with the cue and scope lists rules/zh/README.md names (default: shipped rules/zh)")
    m.add_argument("--lexicon-dir", help="folder with the dictionary and word lists (default: shipped lexicons/zh)")
    m.set_defaults(run=_quietly(run_mine))

    lab = zh_sub.add_parser("label", help="label reports with reviewed clusters",
                            description="Assign every clause to its nearest mined cluster and write one label row per report.",
                            epilog=LABEL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_input_options(lab)
    lab.add_argument("--label-map", type=Path, required=True, help="the edited label_map.csv from `zh mine`")
    lab.add_argument("--model", type=Path, help=f"model file (default: {MODEL_FILE} beside the label map)")
    lab.add_argument("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE,
                     help=f"clauses farther than this from every medoid stay unassigned (0..1, default {DEFAULT_MAX_DISTANCE})")
    lab.add_argument("--clause-overrides", type=Path,
                     help=f"CSV with clause,label columns: a reviewer's label for single clauses, applied before the "
                          f"nearest medoid (default: {OVERRIDES_FILE} beside the label map, if there is one)")
    lab.add_argument("--batch-size", type=_positive, default=5000,
                     help="reports labelled at a time by one process, and the least share of a chunk a worker gets "
                          "(default 5000)")
    lab.add_argument("-o", "--output", type=Path, required=True,
                     help="labels to write: .csv, or .parquet/.pq for Parquet; - writes CSV to standard output (a "
                          "device, FIFO or pipe is written into, never replaced)")
    add_archive_options(
        lab.add_argument_group("archive scale (as cxrlabel extract)"),
        workers=f"processes labelling in parallel (default: the cores this process may use, {default_workers()} "
                "here, but one per --batch-size reports at most); one process computes distances on every core; "
                "the output does not depend on it",
        resume_refused="the input, an option that changes labels, the label map, model.json, the clause overrides "
                       "or the zh rule files differ")
    lab.set_defaults(run=run_label)

    sp = zh_sub.add_parser("split", help="split one mined cluster into several, without mining again",
                           description="Re-cluster the members of one cluster of a zh mine folder and rewrite "
                                       "its model.json, label_map.csv and clusters.html to match.",
                           epilog=SPLIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("mined", type=Path, metavar="MINED_DIR", help="the --out folder of zh mine")
    sp.add_argument("--cluster", type=_positive, required=True, metavar="N", help="the cluster to split (#N in clusters.html)")
    sp.add_argument("-k", type=_positive, default=2, help="how many clusters it becomes (default 2)")
    sp.add_argument("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE,
                    help=f"as given to zh mine: clusters.html lists clauses farther than this apart (default "
                         f"{DEFAULT_MAX_DISTANCE})")
    add_threads_option(sp)
    add_common_options(sp, encoding="text encoding of the edited label_map.csv if detection fails (utf-8, gb18030 …)")
    sp.set_defaults(run=_quietly(run_split))


def _columns(columns: Sequence, args: argparse.Namespace) -> tuple[str, str | None]:
    """(text column, id column) of a table, as given or detected; None: no id column, rows are numbered."""
    import pandas as pd

    from ..tables import check_id_column, find_column
    from ..zh.sections import TEXT_COLUMNS

    frame = pd.DataFrame(columns=columns)
    text_col = find_column(frame, args.column, what="text", candidates=TEXT_COLUMNS, header_setting="no_header")
    if args.id_column:
        id_col = find_column(frame, args.id_column, what="id", setting="id_column", header_setting="no_header")
        check_id_column(text_col, id_col)
        return text_col, id_col
    keys = {str(c).lower(): c for c in columns}
    return text_col, next((keys[c] for c in ID_CANDIDATES if c in keys and keys[c] != text_col), None)


def _read_reports(args: argparse.Namespace) -> tuple[pd.Series, pd.Series, str, str]:
    """(ids, texts, id column name, text column name); never drops a row."""
    import pandas as pd

    from ..archive.ids import RepeatedIds
    from ..tables import read_table, report_texts

    table = read_table(args.input, **reading(args))
    frame = table.frame
    text_col, found = _columns(frame.columns, args)
    id_col = str(found) if found is not None else "row"
    ids = frame[found].astype(str) if found is not None else pd.Series([str(i) for i in range(1, len(frame) + 1)])
    if found is not None:  # counted and worded as zh label and extract do
        repeated = RepeatedIds()
        repeated.add(frame[found].tolist())
        warning = repeated.warning(id_col)
        if warning:
            print(warning, file=sys.stderr)
    texts = pd.Series(["" if t is None else t for t in report_texts(frame[text_col].tolist(), text_col, args.input, 0,
                                                                     args.encoding)], dtype=object)
    note = f", {table.replaced_chars} undecodable characters replaced in {table.replaced_rows} rows" if table.replaced_chars else ""
    print(f"read {len(frame)} reports from {args.input} ({table.encoding}{note}); text column {text_col!r}, id column {id_col!r}")
    return ids.reset_index(drop=True), texts.reset_index(drop=True), id_col, text_col


def _check_max_distance(value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise UserError(f"--max-distance {value} is outside 0..1 (distances are normalised)")


def run_mine(args: argparse.Namespace) -> int:
    from ..zh.mine import MineSettings, mine
    from ..zh.mine_outputs import LABEL_MAP_FILE, prepare_out, write_outputs
    from ..zh.preprocess import ClausePreprocessor

    _check_max_distance(args.max_distance)
    check_output(args.out, [args.input, args.rules_dir, args.lexicon_dir], "out")
    prepare_out(args.out)
    ids, texts, _, _ = _read_reports(args)
    data = load_zh_data(args.rules_dir, args.lexicon_dir)
    pre = ClausePreprocessor(data, drop_laterality=args.drop_laterality, sections=args.sections)
    settings = MineSettings(k=args.k, k_range=args.k_range, distance=args.distance, guide=args.guide,
                            engine=args.kmedoids,
                            max_distance=args.max_distance, seed=args.seed, sample=args.sample, n_samples=args.samples, workers=args.threads)
    result = mine(ids.tolist(), texts.tolist(), settings, pre, progress=sys.stderr.isatty() and not args.quiet)
    parts = result.clauses
    members = parts[parts["member"]]
    print(f"clause parts: {len(members)} findings clustered ({members['normalized'].nunique()} distinct), "
          f"{int((~parts['member']).sum())} normal descriptions assigned, {result.n_boilerplate} boilerplate dropped, "
          f"{result.n_empty} empty after normalisation; {int((parts['member'] & ~parts['assigned']).sum())} findings beyond --max-distance "
          f"{settings.max_distance} (unassigned)")
    n_mixed = int(result.clusters["mixed"].sum())
    if n_mixed:
        print(f"{n_mixed} clusters flagged mixed: " + ", ".join(
            f"#{c}" for c in result.clusters.loc[result.clusters["mixed"], "cluster_id"]))
    if result.silhouette:
        if settings.k_range and max(result.silhouette) < settings.k_range[1]:
            print(f"cxrlabel: note: --k-range {settings.k_range[0]}:{settings.k_range[1]} cut to "
                  f"{settings.k_range[0]}:{max(result.silhouette)}, as many clusters as there are distinct clauses",
                  file=sys.stderr)
        print("k   weighted silhouette")
        best = max(result.silhouette, key=result.silhouette.get)
        for k, score in result.silhouette.items():
            print(f"{k:<3} {score:.4f}{'  <- chosen' if k == best else ''}")
    k = len(result.clusters)
    top = min(10, k)
    print(f"k={k}; weighted loss {result.loss:.2f}")
    if result.sample_losses:
        best, worst = min(result.sample_losses), max(result.sample_losses)
        print(f"CLARA: {len(result.sample_losses)} samples of {settings.sample}; estimated loss of the kept sample "
              f"{best:.2f}, of the worst {worst:.2f} (worst/kept ratio {worst / best if best else 1.0:.4f}); "
              f"loss over all clauses {result.loss:.2f} (ratio to the estimate {result.loss / best if best else 1.0:.4f})")
    if result.coverage:
        print(f"top {top} clusters cover {result.coverage[top - 1]:.1%} of the {result.n_reports_with_clauses} "
              f"reports with clauses ({result.n_reports} reports in all)")
        print("coverage by top clusters: " + ", ".join(f"{i}: {c:.1%}" for i, c in enumerate(result.coverage[:top], 1)))
    paths = write_outputs(result, args.out, settings, pre.data.known_findings, args.drop_laterality, args.sections,
                          args.rules_dir and str(Path(args.rules_dir).resolve()),
                          args.lexicon_dir and str(Path(args.lexicon_dir).resolve()))
    print("wrote " + ", ".join(str(p) for p in paths))
    print(f"next: open {paths[-1]} in a browser, name the clusters there, download {LABEL_MAP_FILE} (and "
          f"clause_overrides.csv) into {args.out}, then run "
          f"`cxrlabel zh label {args.input} --label-map {args.out / LABEL_MAP_FILE} -o labels.csv`")
    return 0


def run_label(args: argparse.Namespace) -> int:
    from ..archive.write import ArchiveCommand, ArchiveOutput, write_archive
    from ..zh.label import read_reviewed, reviewed_paths
    from ..zh.label_run import COUNTS, OPTION_NAMES, configured, label_zh_chunk

    _check_max_distance(args.max_distance)
    scale = scale_from(args)
    scale.check(args.output)
    say = sys.stderr if str(args.output) == STDOUT else sys.stdout  # -o -: the labels alone on standard output
    model_path, overrides_path = reviewed_paths(args.label_map, args.model, args.clause_overrides)
    check_output(args.output, [args.input, args.label_map, model_path, overrides_path])
    model, mapping, overrides = read_reviewed(args.label_map, model_path, overrides_path, log_text=args.log_text)
    labels: list[str] = []

    def open_input(chunk_size: int) -> ArchiveInput:
        from ..archive.write import ArchiveInput
        from ..tables import ChunkedTable
        from ..zh.label_run import ZhJobSpec, clusters_for_spec, output_format, run_options

        table = ChunkedTable(args.input, chunk_size=chunk_size, **reading(args))
        text_col, found = _columns(table.columns, args)
        id_col = str(found) if found is not None else "row"
        key = hashlib.sha256(pickle.dumps((model, mapping, overrides, args.max_distance))).hexdigest()
        spec = ZhJobSpec(model=model, mapping=mapping, overrides=overrides, max_distance=args.max_distance, key=key,
                         id_column=id_col, text_column=text_col, row_ids=found is None,
                         output_format=output_format(args.output), batch_size=args.batch_size)
        labels.extend(clusters_for_spec(spec).labels)
        clash = {id_col, text_col} & set(labels)
        if clash:
            raise UserError(f"label {sorted(clash)[0]!r} is also an input column name; rename it in {args.label_map}")
        if not args.quiet:
            print(f"reading {args.input} ({table.layout.encoding}); text column {text_col!r}, id column {id_col!r}",
                  file=say)
        options = run_options(spec, table.chunk_size, args.encoding, args.no_header, args.label_map, model_path,
                              overrides_path)
        return ArchiveInput(table=table, text_column=text_col, id_column=None if found is None else id_col, spec=spec,
                            options=options)

    command = ArchiveCommand(name="cxrlabel zh label", work=label_zh_chunk, option_names=OPTION_NAMES,
                             configure=configured)
    written = write_archive(command, ArchiveOutput(labels=args.output), scale, open_input, quiet=args.quiet)
    _warn_new_labels(overrides, mapping, model, overrides_path)
    _warn_unmatched(overrides, written, overrides_path)
    if args.quiet:
        return 0
    counts = {name: written.count(name) for name in COUNTS}
    share = counts["unassigned"] / counts["clauses"] if counts["clauses"] else 0.0
    print(f"clauses: {counts['clauses']}; unassigned (farther than {args.max_distance} from every medoid): "
          f"{counts['unassigned']} ({share:.1%}); in dropped clusters: {counts['dropped']}; labelled by "
          f"{len(overrides)} clause overrides: {counts['overridden']}", file=say)
    print(f"wrote {written.rows} rows with {len(labels)} labels to {args.output}", file=say)
    return 0


def _warn_new_labels(overrides: dict[str, str | None], mapping: LabelMap, model: SavedModel,
                     path: Path) -> None:
    """An override label the map does not know becomes a column of its own: say so, with the closest name."""
    from ..zh.label import new_override_labels

    names = load_zh_data(model.rules_dir, model.lexicon_dir).chexpert_names
    for label, close in new_override_labels(overrides, mapping, names).items():
        hint = f"; did you mean {close!r}?" if close else ""
        print(f"cxrlabel: warning: {path}: label {label!r} is no label of the label map nor a CheXpert name, so it "
              f"is a column of its own{hint}", file=sys.stderr)


def _warn_unmatched(overrides: dict[str, str | None], written: WrittenArchive, path: Path) -> None:
    """Overrides that labelled no clause part, by line: each is written otherwise than the reports split it."""
    from ..zh.label_run import override_count

    lines = [position + 2 for position in range(len(overrides)) if not written.count(override_count(position))]
    if lines:
        shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
        print(f"cxrlabel: warning: {path}: {len(lines)} of {len(overrides)} clause overrides matched no clause part "
              f"(line {shown}); write each clause as clusters.html lists it (one part: zh splits clauses at "
              "，、及和 and cues)", file=sys.stderr)


def run_split(args: argparse.Namespace) -> int:
    from ..zh.mine_outputs import LABEL_MAP_FILE
    from ..zh.split import split_cluster

    _check_max_distance(args.max_distance)
    result = split_cluster(args.mined, args.cluster, args.k, args.max_distance, args.threads, args.encoding,
                           args.log_text)
    numbers = ", ".join(f"#{c}" for c in [result.cluster, *result.new])
    print(f"split cluster #{result.cluster} ({result.n_members} finding parts, {result.n_distinct} distinct) into "
          f"{numbers}; {result.moved} clause parts changed cluster")
    kept = "edited, kept as edited" if result.map_was_edited else "as zh mine wrote it"
    print(f"{args.mined / LABEL_MAP_FILE} ({kept}): every label kept; new rows "
          f"{', '.join(f'#{c}' for c in result.new)} have a suggested label and split_from {result.cluster}")
    print(f"next: open {args.mined / 'clusters.html'}, name the new clusters there and download {LABEL_MAP_FILE} "
          f"into {args.mined}")
    return 0
