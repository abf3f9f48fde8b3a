"""`cxrlabel sample`: draw the reports worth reviewing from a labels file, so that the review scores the labels
on one's own archive with honest error bars.

Each report goes into one stratum, named by its rarest cell: the observation and predicted class (1, 0, -1,
blank) with the fewest reports in the archive. Every stratum gets a share of -n (more than its size's share
when it is rare) and a simple random sample of that many reports, so rare observations get reviewed
positives, and each report's inclusion probability is known exactly: `evaluate --sample` weights the
review back to the whole archive with it. Exactly -n reports are drawn (all of them when the archive holds
fewer).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import UserError
from ..output_guard import check_output
from ..review.settings import ALLOCATIONS, DEFAULT_NEAR, DEFAULT_UNCERTAIN_SHARE, ROW_ID
from ..zh.model_file import MODEL_FILE
from ..zh.settings import DEFAULT_MAX_DISTANCE, OVERRIDES_FILE

if TYPE_CHECKING:  # the sampler, the zh labeller and pandas load in run, so that `sample --help` is quick
    from ..review.sample import Drawn, LabelTable
    from ..zh.label import ReviewedClusters

EPILOG = """\
the whole loop:
  cxrlabel extract reports.csv --id-column study_id -o labels.csv --mentions-out mentions.jsonl
  cxrlabel sample labels.csv -n 200 -o review/ --reports reports.csv --uncertain --mentions mentions.jsonl
  cxrlabel review review/                            # review/review.html: open it, review, download reviewed.csv
  cxrlabel evaluate labels.csv reviewed.csv --sample review/   # scores with 95% intervals, scores.json/png

more examples:
  cxrlabel sample labels.csv -n 300 --seed 7 -o review/          # another seed draws another sample
  cxrlabel sample zh_labels.csv -n 200 -o review_zh/ --uncertain --label-map mined/label_map.csv   # zh label output
  cxrlabel sample labels.csv -o review/ --uncertain --compare labels_rule_only.csv   # parsers disagree

what is written to the folder (-o):
  sample.csv    one row per drawn report, in review order: the id, inclusion_probability, reason
                (stratified or uncertain), focus (the observations it was drawn for), then its labels
  sample.json   what it was drawn from (the labels file and its digest), every option, and the strata

--uncertain also draws the reports the labeler is least sure of: a -1.0 label, a mention an uncertainty rule
decided (with --mentions), a cell where --compare's labels differ, or (zh label) a clause part beyond
--max-distance of every cluster or, with --label-map, within --near of it. They form strata of their own that get --uncertain-share of -n, and
their inclusion probabilities are in the same column, so the archive estimates stay unbiased.

The same labels, -n, --seed and options always draw the same sample. No report text is copied: the
review page reads it from --reports.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="draw a sample of reports to review, with known inclusion probabilities",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("labels", help="labels written by cxrlabel extract or cxrlabel zh label")
    p.add_argument("-n", type=int, default=200, help="reports to draw (default: 200)")
    p.add_argument("-o", "--output", help="folder to write sample.csv and sample.json into "
                                          "(default: <labels name>_review/ beside the labels)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed draws the same sample (default: 0)")
    p.add_argument("--id-column", help="the labels' id column (default: the column extract or zh label put first; "
                                       f"without one, reports are named by their row number, from 1, in a column {ROW_ID!r})")
    p.add_argument("--observations", help="comma-separated label columns to sample for (default: every one)")
    p.add_argument("--allocation", choices=tuple(ALLOCATIONS), default="sqrt",
                   help="how -n is shared among the strata: in proportion to the square root of their size (default), "
                        "equally, or in proportion to their size (close to a plain random sample)")
    least = p.add_argument_group("least sure reports")
    least.add_argument("--uncertain", action="store_true",
                       help="also draw the reports the labeler is least sure of (see below)")
    least.add_argument("--uncertain-share", type=float, default=DEFAULT_UNCERTAIN_SHARE,
                       help=f"with --uncertain: the share of -n they get (default: {DEFAULT_UNCERTAIN_SHARE})")
    least.add_argument("--mentions", metavar="FILE.jsonl",
                       help="with --uncertain: extract's --mentions-out file, to find mentions an uncertainty rule decided")
    least.add_argument("--compare", metavar="LABELS",
                       help="with --uncertain: labels of the same reports by another parser (e.g. --parser none); "
                            "cells where the two differ count as least sure")
    near = p.add_argument_group("least sure Chinese reports (zh label output, with --uncertain)")
    near.add_argument("--label-map", type=Path,
                      help="the label_map.csv zh label ran with: clause parts whose nearest cluster lies within --near "
                           "of --max-distance count as least sure")
    near.add_argument("--model", type=Path, help=f"model file (default: {MODEL_FILE} beside the label map)")
    near.add_argument("--clause-overrides", type=Path,
                      help=f"clause overrides (default: {OVERRIDES_FILE} beside the label map, if there is one)")
    near.add_argument("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE,
                      help=f"the --max-distance zh label ran with (default: {DEFAULT_MAX_DISTANCE})")
    near.add_argument("--near", type=float, default=DEFAULT_NEAR,
                      help=f"how close to --max-distance, on either side, a clause part must lie (default: {DEFAULT_NEAR})")
    reports = p.add_argument_group("the reports, for the review page (recorded in sample.json)")
    reports.add_argument("--reports", metavar="REPORTS", help="the reports file the labels were made from")
    reports.add_argument("--column", help="its text column (default: detected, as extract does)")
    reports.add_argument("--encoding", help="its text encoding (default: detected)")
    p.set_defaults(run=run)


def _reports(args: argparse.Namespace, id_column: str | None) -> dict:
    """Where the review page finds the report text; checked now (the file and its columns), never copied."""
    if not args.reports:
        return {"path": None, "id_column": id_column, "text_column": args.column, "encoding": args.encoding}
    import pandas as pd

    from ..tables import ChunkedTable, find_column

    table = ChunkedTable(Path(args.reports), encoding=args.encoding, header=None, chunk_size=1000,
                         named=tuple(c for c in (args.column, id_column) if c))
    frame = pd.DataFrame(columns=table.columns)
    text = find_column(frame, args.column)
    if id_column is not None:
        find_column(frame, id_column, what="ids", setting="id_column")
    return {"path": str(args.reports), "id_column": id_column, "text_column": text,
            "encoding": args.encoding or table.layout.encoding}


def _reviewed_clusters(args: argparse.Namespace) -> ReviewedClusters:
    """The labeler zh label ran with: the label map, its model and clause overrides, and --max-distance."""
    from ..zh.label import read_reviewed, reviewed_paths
    from ..zh.label_run import reviewed_clusters

    model_path, overrides_path = reviewed_paths(args.label_map, args.model, args.clause_overrides)
    return reviewed_clusters(*read_reviewed(args.label_map, model_path, overrides_path), args.max_distance)


def run(args: argparse.Namespace) -> int:
    from ..review.folder import labels_digest, write_sample
    from ..review.sample import LabelTable, draw_sample, least_sure

    if not args.uncertain and (args.mentions or args.compare or args.label_map):
        raise UserError("$mentions, $compare and $label_map find the least sure reports; give $uncertain too")
    labels = Path(args.labels)
    output = Path(args.output) if args.output else labels.with_name(labels.stem + "_review")
    inputs = [labels, args.mentions, args.compare, args.reports]
    check_output(output, inputs)
    observations = [o.strip() for o in args.observations.split(",") if o.strip()] if args.observations else None
    table = LabelTable.read(labels, args.id_column, observations)
    cells = reports_flagged = None
    if args.uncertain:
        compare = None
        if args.compare:
            compare = LabelTable.read(args.compare, args.id_column, table.observations)
        near = (_reviewed_clusters(args), args.near) if args.label_map else None
        cells, reports_flagged = least_sure(table, Path(args.mentions) if args.mentions else None, compare,
                                            args.compare or "", near)
    drawn = draw_sample(table, args.n, args.seed, args.allocation, cells, reports_flagged, args.uncertain_share)
    row_ids = table.id_column == ROW_ID and args.id_column is None and ROW_ID not in table.frame.columns
    meta = {"version": 1, "tool": "cxrlabel sample", "cxrlabel": __version__, "language": table.language,
            "labels_file": str(labels), "labels_sha256": labels_digest(labels), "id_column": table.id_column,
            "row_ids": row_ids, "observations": table.observations, "population": len(table.ids),
            "n": len(drawn.frame), "seed": args.seed,
            "options": {"n": args.n, "seed": args.seed, "allocation": args.allocation, "id_column": args.id_column,
                        "observations": observations, "uncertain": args.uncertain,
                        "uncertain_share": args.uncertain_share if args.uncertain else None,
                        "mentions": args.mentions, "compare": args.compare,
                        "label_map": str(args.label_map) if args.label_map else None,
                        "max_distance": args.max_distance if args.label_map else None,
                        "near": args.near if args.label_map else None},
            "reports": _reports(args, None if row_ids else table.id_column)}
    write_sample(output, drawn, table, meta)
    _summary(table, drawn, output, args.n)
    return 0


def _summary(table: LabelTable, drawn: Drawn, output: Path, wanted: int) -> None:
    """Counts only: how many were drawn, and the predicted positives of each observation in the sample."""
    frame = drawn.frame
    note = f" (the archive holds only {len(table.ids)})" if wanted > len(table.ids) else ""
    uncertain = int((frame["reason"] == "uncertain").sum())
    print(f"cxrlabel: drew {len(frame)} of {len(table.ids)} reports{note} in {len(drawn.strata)} strata"
          + (f", {uncertain} of them least sure" if uncertain else "") + f" -> {output}", file=sys.stderr)
    positives = ", ".join(f"{o} {int((frame[o].astype(str).str.strip().isin(('1.0', '1'))).sum())}"
                          for o in table.observations)
    print(f"cxrlabel: predicted positives in the sample: {positives}", file=sys.stderr)
