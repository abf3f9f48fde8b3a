"""`cxrlabel explain`: show, for one report, every mention, its label and the rule that decided it."""
from __future__ import annotations

import argparse
import sys
import textwrap

from ..archive.local_engine import hidden_while
from .options import add_labeler_options, config_from
from ..en.mentions import mention_records
from ..en.labeler import Labeler

NAMES = {1.0: "positive", 0.0: "negative", -1.0: "uncertain", None: ""}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="show why one report got its labels", description=__doc__,
                       epilog='example:\n  cxrlabel explain "No pneumothorax or effusion. Possible pneumonia."',
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", help="the report text, or - to read it from standard input")
    add_labeler_options(p)
    p.set_defaults(run=run)


def render(records: list[dict], labels: dict) -> str:
    rows = [("observation", "label", "phrase", "rule", "sentence")]
    for r in records:
        rows.append((r["observation"] + (" (aux)" if r["kind"] == "auxiliary" else ""), NAMES[r["label"]],
                     r["phrase"] or "", r["rule"], textwrap.shorten(r["sentence"] or "(report level)", 60)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    out = ["  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    out.insert(1, "-" * min(120, len(out[0])))
    out.append("")
    out.append("labels: " + (", ".join(f"{o} {v:+.0f}" if v else f"{o} 0" for o, v in labels.items() if v is not None)
                             or "none"))
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    config = config_from(args)
    with hidden_while(config.unused_packages()):  # torch and scipy: never used, 3 s and 840 MB to import
        result = Labeler(config).label([text])[0]
    print(render(mention_records(None, result), result.labels))
    return 0
