"""The `cxrlabel` command: one argparse tree, with each subcommand defined beside the code it runs."""
from __future__ import annotations

import argparse
import signal
import sys

from .. import __version__
from ..errors import UserError


class Terminated(BaseException):
    """SIGTERM, raised in the main thread as Ctrl-C raises KeyboardInterrupt: a run stopped by `kill` or a
    job scheduler unwinds the same way, its engine stopping the workers and its finished parts kept for
    --resume. (A BaseException, so that no `except Exception` takes it for an error.)"""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxrlabel",
        description="Turn chest X-ray reports into CheXpert-style training labels.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cxrlabel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from .. import scoring as evaluate
    from . import explain, extract, parsers as parser_status
    from . import zh as zh_cli

    extract.register(sub)
    explain.register(sub)
    evaluate.register(sub)
    parser_status.register(sub)
    zh_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args) or 0)
    except UserError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # the shell's code for a command ended by a signal: 128 + SIGINT
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print(f"{parser.prog}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
