"""`cxrlabel extract`: label a report table and write the CheXpert-style CSV (and mentions)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from .errors import ReportError, UserError
from .parser_status import add_model_options
from .parsers import PARSER_CHOICES
from .pipeline import Labeler, LabelerConfig, ReportLabels
from .sections import SECTION_CHOICES
from .tabular import find_column, read_table

EPILOG = """\
examples:
  cxrlabel extract reports.csv                      # auto-detects the text column
  cxrlabel extract reports.csv --column "Report Impression" --id-column study_id -o labels.csv
  cxrlabel extract impressions.csv                  # header-less one-column CSV (CheXpert labeler input)
  cxrlabel extract reports.parquet --sections findings,impression --mentions-out mentions.jsonl
  cxrlabel extract reports.jsonl --parser none      # rule-only mode, no parser model needed

output: the id column (if given), Reports (the text that was labelled), then one column per
observation with 1.0 (positive), 0.0 (negative), -1.0 (uncertain) or blank (not mentioned).
Every input row appears once, in input order; an empty report gives a row of blanks.
"""


def add_common_options(p: argparse.ArgumentParser) -> None:
    """Options shared by extract and explain: how text is chosen and labelled."""
    p.add_argument("--sections", choices=SECTION_CHOICES, default="default",
                   help="which part of each report to label. default: the IMPRESSION (or CONCLUSION) when "
                        "the report has one, else the whole text; all: the whole text")
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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="label a file of reports", description=__doc__,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="reports as CSV (with or without a header), TSV, JSONL or Parquet")
    p.add_argument("-o", "--output", help="labels CSV to write (default: <input name>_labels.csv beside the input)")
    p.add_argument("--column", help="column holding the report text (default: detected from names such as "
                                    "Reports, report, text, Report Impression)")
    p.add_argument("--id-column", help="column carried through to the output to identify each report")
    p.add_argument("--encoding", help="text encoding of a CSV/JSONL input (default: UTF-8, with GB18030 detected)")
    p.add_argument("--no-header", action="store_true", help="the CSV has no header row (detected for one-column files)")
    p.add_argument("--mentions-out", metavar="FILE.jsonl",
                   help="write one JSON line per mention: report id, observation, sentence, phrase, offsets, label, rule")
    p.add_argument("--batch-size", type=int, default=256, help="reports labelled per batch (default: 256)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_common_options(p)
    p.set_defaults(run=run)


def config_from(args: argparse.Namespace) -> LabelerConfig:
    return LabelerConfig(parser=args.parser, sections=args.sections, lexicon_dirs=tuple(args.lexicon_dir),
                         rules_dir=args.rules_dir, spacy_model=args.spacy_model,
                         stanza_dir=args.stanza_dir, stanza_package=args.stanza_package,
                         bllip_model=args.bllip_model, corenlp_jar=args.corenlp_jar)


def mention_records(report_id: object, result: ReportLabels) -> list[dict]:
    rows = [{"report": report_id, "observation": m.observation, "kind": m.kind, "sentence": m.sentence,
             "phrase": m.phrase, "start": m.start, "end": m.end, "label": m.label, "rule": m.rule}
            for m in result.mentions]
    rows += [{"report": report_id, "observation": obs, "kind": "derived", "sentence": None, "phrase": None,
              "start": None, "end": None, "label": value, "rule": rule}
             for obs, value, rule in result.decisions if value is not None]
    return rows


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    source = Path(args.input)
    table = read_table(source, encoding=args.encoding, header=False if args.no_header else None)
    frame = table.frame
    text_column = find_column(frame, args.column)
    id_column = find_column(frame, args.id_column, what="ids", option="--id-column") if args.id_column else None
    output = Path(args.output) if args.output else source.with_name(source.stem + "_labels.csv")
    if output.resolve() == source.resolve():
        raise UserError(f"{output}: the output would overwrite the input; choose another -o")
    if table.replaced_chars:
        print(f"cxrlabel: warning: {table.replaced_chars} undecodable bytes in {table.replaced_rows} rows were "
              "replaced with U+FFFD; give --encoding to read them correctly", file=sys.stderr)
    labeler = Labeler(config_from(args))
    texts = frame[text_column].tolist()
    ids = frame[id_column].tolist() if id_column else list(range(len(frame)))
    results: list[ReportLabels] = []
    mentions_file = open(args.mentions_out, "w", encoding="utf-8") if args.mentions_out else None
    try:
        with tqdm(total=len(texts), unit="report", disable=args.quiet or None, file=sys.stderr) as bar:
            for start in range(0, len(texts), args.batch_size):
                try:
                    batch = labeler.label(texts[start:start + args.batch_size])
                except ReportError as exc:  # name the row (1-based, as in a spreadsheet's data rows)
                    raise UserError(f"{source}: row {start + exc.index + 1}, column {text_column!r}: "
                                    f"{exc.message}") from None
                if mentions_file:
                    for rid, result in zip(ids[start:start + args.batch_size], batch):
                        for rec in mention_records(rid, result):
                            mentions_file.write(json.dumps(rec, ensure_ascii=False) + "\n")
                results.extend(batch)
                bar.update(len(batch))
    finally:
        if mentions_file:
            mentions_file.close()
    out = pd.DataFrame([r.labels for r in results], columns=labeler.observations, dtype="float64")
    out.insert(0, "Reports", [r.text for r in results])
    if id_column:
        out.insert(0, id_column, frame[id_column].values)
    tmp = output.with_name(output.name + ".tmp")
    try:
        out.to_csv(tmp, index=False)
        tmp.replace(output)
    except OSError as exc:
        raise UserError(f"{output}: cannot write the labels ({exc.strerror})") from None
    if not args.quiet:
        counts = {o: int((out[o] == 1.0).sum()) for o in labeler.observations}
        top = ", ".join(f"{o} {n}" for o, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5] if n)
        print(f"cxrlabel: labelled {len(out)} reports -> {output} (positives: {top or 'none'})", file=sys.stderr)
    return 0
