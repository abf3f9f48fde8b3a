"""One process against negspacy's NegEx: `cxrlabel extract` of the 3,080 Open-i dev reports with one worker, and
NegEx over the same reports (bench.peers' `NegexLabeler`: our lexicon, our aggregation, the same sections), each a
whole process from start to exit: imports, model or pipeline, labelling, and the labels written to a CSV file.

Runs alternate (NegEx, ours, and with `--against DIR` the other checkout's `extract`), so that a slower moment of a
shared machine falls on each; each line gives the median wall clock with its range, the median CPU time (user +
system, less sensitive to other work on the machine than the wall clock) and the peak memory (bench.startup's
launcher). The ratio to NegEx is taken run by run, on both clocks. Needs negspacy and ../shared.
Run: python -m bench.peer_speed [--runs 5] [--against DIR]
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path

from bench.archive import OPENI
from bench.startup import ROOT, Run, describe, run_once

TARGET = 1.0  # issue 26: ours at most NegEx's time


def negex_child(source: str, output: str) -> None:
    """What the NegEx run does in its own process: read, label, write."""
    import pandas as pd

    from bench.peers import NegexLabeler

    texts = pd.read_csv(source).report_text.fillna("").tolist()
    NegexLabeler("default").label(texts).to_csv(output, index=False)


def commands(folder: Path) -> dict[str, list[str]]:
    negex = [sys.executable, "-m", "bench.peer_speed", "--negex-child", str(OPENI), str(folder / "negex.csv")]
    ours = [sys.executable, "-m", "cxrlabel", "extract", str(OPENI), "--column", "report_text", "--id-column", "uid",
            "-o", str(folder / "ours.csv"), "--workers", "1", "-q"]
    return {"NegEx": negex, "ours": ours}


def ratios(ours: list[Run], negex: list[Run]) -> str:
    wall = [o.seconds / n.seconds for o, n in zip(ours, negex)]
    cpu = [o.cpu / n.cpu for o, n in zip(ours, negex)]
    return (f"{statistics.median(wall):.2f}x NegEx's wall clock (run by run {min(wall):.2f}-{max(wall):.2f}), "
            f"{statistics.median(cpu):.2f}x its CPU time ({min(cpu):.2f}-{max(cpu):.2f})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default: 5)")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout's extract, timed in turn too")
    parser.add_argument("--negex-child", nargs=2, metavar=("INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.negex_child:
        negex_child(*args.negex_child)
        return
    if not OPENI.exists():
        print(f"peer_speed: skipped, {OPENI.parent} is absent")
        return
    if importlib.util.find_spec("negspacy") is None:
        print("peer_speed: skipped, negspacy is not installed (pip install negspacy)")
        return
    trees = {"ours": ROOT} | ({f"ours, {args.against}": args.against.resolve()} if args.against else {})
    runs: dict[str, list[Run]] = {"NegEx": [], **{name: [] for name in trees}}
    print(f"peer_speed: {args.runs} runs each, alternating; 3,080 Open-i dev reports, default sections, one process")
    with tempfile.TemporaryDirectory() as folder:
        command = commands(Path(folder))
        for _ in range(args.runs):
            runs["NegEx"].append(run_once(command["NegEx"], ROOT))  # NegEx: this checkout's bench and lexicon
            for name, tree in trees.items():
                runs[name].append(run_once(command["ours"], tree))
    for name, measured in runs.items():
        print(f"{name:40s} {describe(measured)}")
    for name in trees:
        print(f"{name}: {ratios(runs[name], runs['NegEx'])}; target <= {TARGET}x")


if __name__ == "__main__":
    main()
