"""Start-up: wall time and peak memory of one short `cxrlabel` command, each run a fresh process.

A small job is mostly start-up: loading pandas, nltk and the spaCy model, and whatever those import.
Each command runs as a subprocess, several times; peak memory is the child's own maximum resident set
(wait4). `--against DIR` times another checkout (say `git archive` of an older commit) the same way,
alternating with this one run by run, so that a slower moment of a shared machine falls on both.
Run: python -m bench.startup [--runs 7] [--against DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REPORTS = 10
TARGET_S, TARGET_MB = 2.5, 500  # issue 14: labelling 10 reports with one worker
EXPLAINED = "No pneumothorax or effusion. Possible left lower lobe pneumonia."


def commands(folder: Path) -> dict[str, list[str]]:
    """The commands timed, by name; inputs and outputs in `folder`."""
    reports = folder / "reports.csv"
    reports_all = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", dtype=str, keep_default_na=False)
    reports_all.head(REPORTS).to_csv(reports, index=False)
    cli = [sys.executable, "-m", "cxrlabel"]
    return {f"extract {REPORTS} reports --workers 1": cli + ["extract", str(reports), "-o", str(folder / "labels.csv"),
                                                             "--workers", "1", "-q"],
            "explain one report": cli + ["explain", EXPLAINED]}


def run_once(command: list[str], tree: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one run of `command` with `tree`'s cxrlabel first on the path."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {error[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command per checkout (default: 5)")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout, timed alternately with this one")
    args = parser.parse_args(argv)
    trees = {"this checkout": ROOT} | ({f"against {args.against}": args.against.resolve()} if args.against else {})
    print(f"startup: {args.runs} runs of each command, each a new process, {os.cpu_count()} cores"
          + (", checkouts alternating" if args.against else ""))
    with tempfile.TemporaryDirectory() as folder:
        for name, command in commands(Path(folder)).items():
            timings: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
            for _ in range(args.runs):
                for tree, path in trees.items():
                    timings[tree].append(run_once(command, path))
            for tree, runs in timings.items():
                seconds = [s for s, _ in runs]
                print(f"{name:36s} {tree:24s} median {statistics.median(seconds):5.2f} s, min {min(seconds):5.2f} s, "
                      f"peak memory {max(mb for _, mb in runs):6.0f} MB")
    print(f"target (issue 14): extract of {REPORTS} reports with one worker in < {TARGET_S} s and < {TARGET_MB} MB")


if __name__ == "__main__":
    main()
