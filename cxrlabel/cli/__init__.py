"""The `cxrlabel` command: the argparse root. Each command is a module here with `register(sub)`, which adds
its parser, and `run(args)`; options several commands share are declared once, in `options`."""
from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
from typing import NoReturn

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
    from . import evaluate, explain, extract, parsers, review, sample, zh

    for command in (extract, explain, evaluate, parsers, zh, sample, review):
        command.register(sub)
    name_flags(parser)
    return parser


def name_flags(parser: argparse.ArgumentParser) -> None:
    """Give every command's parser `flags`: each setting's flag, by which a library message is worded
    (`errors.UserError.worded`). A hidden alias never names one."""
    flags: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                name_flags(child)
        elif action.option_strings and action.help != argparse.SUPPRESS:
            flags.setdefault(action.dest, max(action.option_strings, key=len))
    parser.set_defaults(flags=flags)


def flags_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """How the command line words each setting: the running command's flag, else another command's (a name
    means one thing in every command, so "fit with $keep_top" in evaluate's message is fit's flag)."""
    every: dict[str, str] = {}

    def gather(command: argparse.ArgumentParser) -> None:
        every.update({k: v for k, v in command.get_default("flags").items() if k not in every})
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    gather(child)

    gather(parser)
    return {**every, **args.flags}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args) or 0)
    except UserError as exc:
        print(f"{parser.prog}: error: {exc.worded(flags_of(parser, args))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # the shell's code for a command ended by a signal: 128 + SIGINT
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print(f"{parser.prog}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


def script() -> NoReturn:
    """The installed command: `main`, then an exit that does not free every object one by one. Taking apart
    the spaCy model and the memories at interpreter shutdown is a large share of a short run (README, speed
    table, start-up), and the operating system takes the memory back at once. Exit handlers still run
    (temporary folders, logging, multiprocessing) and the streams are flushed first. Where a thread the
    interpreter would wait for is still running, the exit is the usual one."""
    code = main()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing more to say there
            pass
    os._exit(code)


if __name__ == "__main__":
    script()
