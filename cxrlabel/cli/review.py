"""`cxrlabel review SAMPLE_DIR`: write review.html, the page on which a reviewer confirms or corrects the labels of a
sample drawn by `cxrlabel sample`; it works from file:// in the browser, offline, and sends nothing anywhere.
Nothing printed here contains report text: counts, ids of none, file names."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..output_guard import check_output, write_atomically
from ..review.settings import PAGE_FILE, SAMPLE_CSV, SAMPLE_JSON
from ..zh.settings import DEFAULT_MAX_DISTANCE
from .options import add_labeler_options, config_from

if TYPE_CHECKING:  # the page, the labellers and pandas load in run, so that `review --help` is quick
    import pandas as pd

    from ..tables import ChunkedTable
    from ..zh.label import ReviewedClusters

EPILOG = """\
The page shows one sampled report at a time with the labels the labels file gave it: for English the
words that decided each label, with their rule and sentence (what `cxrlabel explain` prints); for
Chinese each clause part with its cluster, label and polarity (give --label-map, as to zh label).
Keys: Enter confirms a report whose labels are all right and opens the next unconfirmed one;
1 / 0 / u / x set the selected label to 1 / 0 / -1 / blank; arrows move. Every change is saved in the
browser; "Download reviewed.csv" gives the gold labels for `cxrlabel evaluate LABELS reviewed.csv --sample DIR`.

The report text is read from --reports (default: the file sample.json names). For English, pass the
labeller options extract ran with (--parser, --sections ...), so the explanations match the labels.

examples:
  cxrlabel sample labels.csv -n 200 --reports reports.csv -o review/
  cxrlabel review review/                       # writes review/review.html: open it in Chromium or Firefox
  cxrlabel review review/ --reports reports.csv --parser none
  cxrlabel review zh_review/ --reports reports.csv --label-map mined/label_map.csv
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="write the browser page that reviews a drawn sample",
                       description=__doc__.split("\n")[0], epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sample", type=Path, metavar="SAMPLE_DIR", help="the folder `cxrlabel sample -o` wrote")
    p.add_argument("--reports", type=Path, metavar="REPORTS",
                   help="the reports the labels were made from: CSV, TSV, JSONL or Parquet (default: the file "
                        f"{SAMPLE_JSON} names)")
    p.add_argument("--column", "--text-column", dest="column",
                   help="column holding the report text (default: the one sample.json names, else detected)")
    p.add_argument("--id-column", help="column holding the report id (default: the sample's id column)")
    p.add_argument("--encoding", help="encoding of the reports file if detection fails (utf-8, gb18030 …)")
    p.add_argument("-o", "--output", type=Path, help=f"the page to write (default: SAMPLE_DIR/{PAGE_FILE})")
    add_labeler_options(p)  # English: the options extract ran with, so the explanations match the labels
    zh = p.add_argument_group("Chinese: the reviewed clusters zh label ran with, for the clause parts")
    zh.add_argument("--label-map", type=Path, help="label_map.csv given to zh label")
    zh.add_argument("--model", type=Path, help="model file (default: model.json beside the label map)")
    zh.add_argument("--clause-overrides", type=Path,
                    help="clause_overrides.csv given to zh label (default: the one beside the label map, if any)")
    zh.add_argument("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE,
                    help=f"as given to zh label (default {DEFAULT_MAX_DISTANCE})")
    p.set_defaults(run=run)


def _reports_table(args: argparse.Namespace, recorded: dict) -> tuple[ChunkedTable, Path]:
    path = args.reports or (Path(recorded["path"]) if recorded.get("path") else None)
    if path is None:
        raise UserError(f"{args.sample / SAMPLE_JSON} names no reports file; give $reports, the reports the labels "
                        "were made from")
    if not path.exists():
        given = "$reports" if args.reports else f"{SAMPLE_JSON}'s reports file"
        raise UserError(f"{path}: no such file ({given}); give $reports the reports the labels were made from")
    from ..tables import ChunkedTable

    encoding = args.encoding or (recorded.get("encoding") if not args.reports else None)
    return ChunkedTable(path, encoding=encoding, named=tuple(c for c in (args.column, args.id_column) if c)), path


def _reviewed_clusters(args: argparse.Namespace) -> tuple[ReviewedClusters, list[int]] | None:
    """The labeller zh label ran with, or None without --label-map (the page then shows the text alone)."""
    if args.label_map is None:
        return None
    if not 0.0 <= args.max_distance <= 1.0:
        raise UserError(f"$max_distance {args.max_distance} is outside 0..1 (distances are normalised)")
    from ..zh.label import read_reviewed, reviewed_paths
    from ..zh.label_run import reviewed_clusters

    model, mapping, overrides = read_reviewed(args.label_map,
                                              *reviewed_paths(args.label_map, args.model, args.clause_overrides))
    return reviewed_clusters(model, mapping, overrides, args.max_distance), model.cluster_ids


def _empty(table: ChunkedTable) -> pd.DataFrame:
    """The table's columns, for `find_column`."""
    import pandas as pd

    return pd.DataFrame(columns=table.columns)


def _differing(sample, details: list[dict]) -> int:
    """How many sampled reports the labeller, with the options given here, labels otherwise than the file."""
    differ = 0
    for i, detail in enumerate(details):
        row = sample.frame.iloc[i]
        for obs, explained in zip(sample.observations, detail["explained"]):
            text = row[obs].strip()
            given = None if text in ("", "nan") else float(text)
            if given != explained:
                differ += 1
                break
    return differ


def run(args: argparse.Namespace) -> int:
    from ..review.page import (chinese_details, english_details, is_review_page, page_data, read_sample, render,
                               sampled_texts)
    from ..tables import TEXT_COLUMN_NAMES, find_column
    from ..zh.sections import TEXT_COLUMNS as ZH_TEXT_COLUMNS

    sample = read_sample(args.sample)
    output = args.output or args.sample / PAGE_FILE
    recorded = sample.meta.get("reports") or {}
    table, reports_path = _reports_table(args, recorded)
    check_output(output, [reports_path, args.sample / SAMPLE_CSV, args.sample / SAMPLE_JSON, args.label_map])
    if output.is_dir() or (output.exists() and not is_review_page(output)):
        raise UserError(f"{output}: exists and is not a page `cxrlabel review` wrote, so it is never replaced; "
                        "choose another $output")
    chinese = sample.language == "zh"
    text_column = find_column(_empty(table), args.column or recorded.get("text_column"),
                              what="text", candidates=ZH_TEXT_COLUMNS if chinese else TEXT_COLUMN_NAMES)
    id_wanted = args.id_column or recorded.get("id_column") or sample.id_column
    if id_wanted in table.columns or args.id_column:
        id_column = find_column(_empty(table), id_wanted, what="ids", setting="id_column")
    elif id_wanted == "row":
        id_column = None  # zh label numbered the rows of a table without ids
    else:
        raise UserError(f"{reports_path}: no id column {id_wanted!r}, the sample's; name the reports' id column "
                        "with $id_column")
    texts = sampled_texts(table, text_column, id_column, sample.ids)
    if table.replaced_chars:
        print(f"cxrlabel: warning: {table.replaced_chars} undecodable characters replaced in the reports; give "
              "--encoding to read them correctly", file=sys.stderr)
    observations = sample.observations
    if chinese:
        built = _reviewed_clusters(args)
        if built is None:
            print("cxrlabel: note: no --label-map, so the page shows each report without its clause parts; give "
                  "the label map zh label ran with to see them", file=sys.stderr)
            details = [{} for _ in texts]
        else:
            details = chinese_details(texts, observations, *built)
    else:
        config = config_from(args)
        details = english_details(texts, observations, config)
        differ = _differing(sample, details)
        if differ:
            print(f"cxrlabel: warning: with these options the labeller gives {differ} of the {len(texts)} sampled "
                  "reports other labels than the labels file; the page shows the file's labels, but its "
                  "highlights may not match them: give the options extract ran with (--parser, --sections, "
                  "--lexicon-dir, --rules-dir)", file=sys.stderr)
    source = Path(str(sample.meta.get("labels_file") or args.sample.resolve().name)).name
    data = page_data(sample, texts, details, f"Review of {source}: {len(texts)} reports")
    write_atomically(output, render(data).encode("utf-8"))
    print(f"wrote {output}: {len(texts)} reports, {len(observations)} labels each. Open it in Chromium or "
          "Firefox (no server needed; the page cannot connect anywhere), review, and download reviewed.csv; then "
          f"`cxrlabel evaluate LABELS reviewed.csv --sample {args.sample}`")
    return 0
