"""Start-up: wall time and peak memory of `--help` of every command of both tools, and of short `cxrlabel`
commands, each run a fresh process.

`--help` should load no installed package (tests/test_help_imports.py holds that); a small job is mostly
start-up: loading pandas, nltk and the spaCy model, and whatever those import. Each command runs as a
subprocess, several times; peak memory is the child's own maximum resident set (wait4). `--against DIR`
times another checkout (say `git worktree add DIR <commit>`) the same way, alternating with this one run by
run, so that a slower moment of a shared machine falls on both. The commands are read from this checkout's
parsers.
Run: python -m bench.startup [--runs 7] [--against DIR] [--only help|jobs]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REPORTS = 10
TARGET_S, TARGET_MB = 2.0, 500  # issue 26 (time) and 14 (memory): labelling 10 reports with one worker
HELP_TARGETS = {"cxrlabel": 0.3, "cxrtrain": 0.5}  # issue 26: seconds for --help
EXPLAINED = "No pneumothorax or effusion. Possible left lower lobe pneumonia."


def command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and command group of a parser, by the words that name it (an alias is not counted twice)."""
    paths = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, child in action.choices.items():
                if id(child) not in seen:
                    seen.add(id(child))
                    paths += command_paths(child, (*path, name))
    return paths


def help_commands() -> dict[str, list[str]]:
    """`TOOL [COMMAND ...] --help` of every command of both tools, by name."""
    from cxrlabel.cli import build_parser as cxrlabel_parser
    from cxrtrain.cli import build_parser as cxrtrain_parser

    return {" ".join((tool, *path, "--help")): [sys.executable, "-m", tool, *path, "--help"]
            for tool, parser in (("cxrlabel", cxrlabel_parser()), ("cxrtrain", cxrtrain_parser()))
            for path in command_paths(parser)}


def job_commands(folder: Path) -> dict[str, list[str]]:
    """The short labelling commands timed, by name; inputs and outputs in `folder`."""
    reports = folder / "reports.csv"
    reports_all = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", dtype=str, keep_default_na=False)
    reports_all.head(REPORTS).to_csv(reports, index=False)
    cli = [sys.executable, "-m", "cxrlabel"]
    return {f"extract {REPORTS} reports --workers 1": cli + ["extract", str(reports), "-o", str(folder / "labels.csv"),
                                                             "--workers", "1", "-q"],
            "explain one report": cli + ["explain", EXPLAINED]}


# Each command is started by a small Python of its own: a child started straight from this process (vfork)
# would count this process's resident set, with pandas in it, as its own peak.
LAUNCHER = """\
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


class Run(NamedTuple):
    seconds: float  # wall clock, start to exit
    peak_mb: float  # the process's own peak resident set
    cpu: float  # user + system CPU seconds: less sensitive than the wall clock to other work on the machine


def run_once(command: list[str], tree: Path) -> Run:
    """One run of `command` with `tree`'s cxrlabel first on the path."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], cwd=tree, env=env, capture_output=True,
                          text=True, check=True)
    seconds, code, peak_kib, cpu = done.stdout.split()
    if int(code):
        raise RuntimeError(f"{' '.join(command)} exited {code}: {done.stderr[-2000:]}")
    return Run(float(seconds), int(peak_kib) / 1024, float(cpu))  # ru_maxrss is in KiB on Linux


def describe(runs: list[Run]) -> str:
    """Median and range of the wall clock, median CPU time and the highest peak memory of some runs."""
    seconds = [r.seconds for r in runs]
    return (f"median {statistics.median(seconds):5.2f} s (min {min(seconds):5.2f}, max {max(seconds):5.2f}), "
            f"CPU {statistics.median(r.cpu for r in runs):5.2f} s, peak memory {max(r.peak_mb for r in runs):6.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command per checkout (default: 5)")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout, timed alternately with this one")
    parser.add_argument("--only", choices=("help", "jobs"), help="time only the --help commands, or only the jobs")
    args = parser.parse_args(argv)
    trees = {"this checkout": ROOT} | ({f"against {args.against}": args.against.resolve()} if args.against else {})
    print(f"startup: {args.runs} runs of each command, each a new process, {os.cpu_count()} cores"
          + (", checkouts alternating" if args.against else ""))
    with tempfile.TemporaryDirectory() as folder:
        commands = ({} if args.only == "jobs" else help_commands()) | ({} if args.only == "help" else
                                                                         job_commands(Path(folder)))
        for name, command in commands.items():
            timings: dict[str, list[Run]] = {tree: [] for tree in trees}
            for _ in range(args.runs):
                for tree, path in trees.items():
                    timings[tree].append(run_once(command, path))
            for tree, runs in timings.items():
                print(f"{name:36s} {tree:24s} {describe(runs)}")
    print("targets (issue 26): " + ", ".join(f"{tool} --help < {s} s" for tool, s in HELP_TARGETS.items())
          + f"; extract of {REPORTS} reports with one worker in < {TARGET_S} s (and < {TARGET_MB} MB, issue 14)")


if __name__ == "__main__":
    main()
