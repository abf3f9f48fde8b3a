"""`cxrlabel explain`: show, for one report, every mention, its label and the rule that decided it."""
from __future__ import annotations

import argparse
import sys

from .options import add_labeler_options, config_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="show why one report got its labels", description=__doc__,
                       epilog='example:\n  cxrlabel explain "No pneumothorax or effusion. Possible pneumonia."',
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", help="the report text, or - to read it from standard input")
    add_labeler_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..api import Labeler

    text = sys.stdin.read() if args.text == "-" else args.text
    print(Labeler(config_from(args)).explain(text))
    return 0
