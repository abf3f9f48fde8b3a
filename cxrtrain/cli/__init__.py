"""The `cxrtrain` command: one argparse tree, one module per command (fit, evaluate, predict, export, cam).

Each command module has `register(commands)`, which adds its subparser and `set_defaults(run=run)`, and
`run(args) -> int`; options several commands share are in `options.py`. Commands never import each other.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from cxrlabel.cli import Terminated, flags_of, name_flags
from cxrlabel.errors import UserError

from . import cam, evaluate, export, fit, predict

EPILOG = """\
commands:
  fit        train a model on a label CSV and an image folder (cxrtrain fit --help)
  evaluate   metrics of a finished run, on its test split or on another labelled table
  predict    probabilities and thresholded labels for every image in a folder
  cam        Grad-CAM heat maps showing where the evidence for a prediction is
  export     the best model, preprocessing and calibration inside, as one TorchScript or ONNX file

example:
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/first
  cxrtrain evaluate --run runs/first
  cxrtrain predict --run runs/first --images /data/new -o predictions.csv
  cxrtrain cam --run runs/first /data/new/a.png /data/new/b.png --out cams/
  cxrtrain export --run runs/first -o model.ts
  cxrtrain predict --model model.ts --images /data/new -o predictions.csv
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxrtrain", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Train chest X-ray image classifiers on cxrlabel's label tables.",
                                     epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (fit, evaluate, predict, export, cam):
        command.register(commands)
    name_flags(parser)  # each command's flag of each setting, by which a library message is worded
    return parser


def _say(message: str) -> None:
    if os.environ.get("RANK", "0") == "0":  # under torchrun every rank fails alike; say it once
        print(f"cxrtrain: error: {message}", file=sys.stderr)


def _terminated(signum: int, frame: object) -> None:
    raise Terminated  # SIGTERM (kill, a job scheduler) unwinds as Ctrl-C does


def _stopped(args: argparse.Namespace, how: str) -> str:
    """The line a stopped command ends with; a fit says how to go on."""
    if args.command != "fit":
        return f"cxrtrain: {how}"
    if (Path(args.out) / "last.pt").is_file():
        return f"cxrtrain: {how}; continue the run with: cxrtrain fit --out {args.out} --resume"
    return f"cxrtrain: {how} before the first epoch was saved; run the same command again to start over"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args) or 0)
    except UserError as exc:  # the library names a setting as $name; here it is the flag
        _say(exc.worded(flags_of(parser, args)))
        return exc.exit_code
    except KeyboardInterrupt:  # the shell's codes for a command ended by a signal: 128 + its number
        if os.environ.get("RANK", "0") == "0":
            print(_stopped(args, "interrupted"), file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        if os.environ.get("RANK", "0") == "0":
            print(_stopped(args, "terminated"), file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
