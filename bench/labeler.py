"""English labeler throughput in one process: reports/s for --parser spacy and --parser none.

Input: the 3,080 real Open-i reports (../shared/data/openi_dev) repeated 4 times (12,320 reports),
or, where that folder is absent, the 157 reports of corpora/en repeated to 10,048. Repetition helps
the sentence cache, so spaCy is also timed with the cache off, and on the first (unrepeated) pass.

`--against DIR` instead compares this checkout's labeller with another checkout's (say the turn-2 code:
`git archive 4b57c03 | tar -x -C DIR`), paired: spaCy with the cache on, on the archive bench's input
(bench.archive, --reports of them, whole text), each run a fresh process that times only the labelling, in CPU
seconds (less sensitive than the wall clock to other work on a shared machine), checkouts alternating.
Run: python -m bench.labeler [--against DIR [--reports 20000] [--runs 3]]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from cxrlabel.archive.local_engine import one_blas_thread
from cxrlabel.en.labeler import LabelerConfig, Pipeline

from bench.archive import OPENI, openi_reports

ROOT = Path(__file__).resolve().parents[1]
BATCH = 256


def load_reports() -> tuple[list[str], str]:
    if OPENI.exists():
        texts = openi_reports()
        return texts * 4, f"{len(texts)} real Open-i reports x 4"
    texts = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", keep_default_na=False).report.tolist()
    return texts * 64, f"{len(texts)} corpora/en reports x 64 (Open-i absent)"


def rate(labeler: Pipeline, texts: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        labeler.label(texts[i:i + BATCH])
    return len(texts) / (time.perf_counter() - start)


# Run in a checkout's own process: the Labeler as that checkout has it (before the package split of issue 19
# it lived in cxrlabel.pipeline), torch and scipy hidden as in an extract worker, one BLAS thread.
PAIRED_CHILD = """\
import json, sys, time
try:  # the stage chain as each layout of the code names it: now, before issue 27, in turn 2
    from cxrlabel.archive.local_engine import hide, one_blas_thread
    try:
        from cxrlabel.en.labeler import Pipeline as Labeler, LabelerConfig
    except ImportError:
        from cxrlabel.en.labeler import Labeler, LabelerConfig
    hide(("torch", "scipy"))
except ImportError:
    from cxrlabel.engines.local import one_blas_thread
    from cxrlabel.pipeline import Labeler, LabelerConfig
one_blas_thread()
texts = json.load(open(sys.argv[1]))
labeler = Labeler(LabelerConfig(parser="spacy", sections="all"))
labeler.label(texts[:8])  # model load, Punkt and the first parse are not timed
parsed, parse = [0], labeler.parser.parse
labeler.parser.parse = lambda s: parsed.__setitem__(0, parsed[0] + len(s)) or parse(s)
start, wall = time.process_time(), time.perf_counter()
for i in range(0, len(texts), 256):
    labeler.label(texts[i:i + 256])
print(time.process_time() - start, time.perf_counter() - wall, parsed[0])
"""


def paired(against: Path, reports: int, runs: int) -> None:
    """This checkout's labeller against another's, alternating, in reports per CPU-second."""
    from bench.archive import build_input

    texts, _, ratio = build_input(reports)
    trees = {"this checkout": ROOT, str(against): against.resolve()}
    print(f"labeler: {len(texts):,} archive-bench reports ({ratio:.1%} unique sentences), spaCy, cache on, whole text, "
          f"one process each run, {runs} runs per checkout alternating")
    measured: dict[str, list[tuple[float, float, int]]] = {name: [] for name in trees}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(texts, file)
        file.flush()
        for _ in range(runs):
            for name, tree in trees.items():
                done = subprocess.run([sys.executable, "-c", PAIRED_CHILD, file.name], cwd=tree, check=True,
                                      env=dict(os.environ, PYTHONPATH=str(tree)), capture_output=True, text=True)
                cpu, wall, parsed = done.stdout.split()
                measured[name].append((float(cpu), float(wall), int(parsed)))
    for name, rows in measured.items():
        rates = [len(texts) / cpu for cpu, _, _ in rows]
        print(f"{name:40s} {statistics.median(rates):6.0f} reports per CPU-second (runs: "
              f"{', '.join(f'{r:.0f}' for r in rates)}); wall {statistics.median(len(texts) / w for _, w, _ in rows):.0f} "
              f"reports/s; {rows[0][2]:,} sentences parsed")
    mine, theirs = measured.values()
    gains = [t[0] / m[0] for m, t in zip(mine, theirs)]
    print(f"this checkout's rate / the other's, run by run: {', '.join(f'{g:.2f}x' for g in gains)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.labeler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout, compared paired (see above)")
    parser.add_argument("--reports", type=int, default=20_000, help="with --against: reports labelled (default: 20,000)")
    parser.add_argument("--runs", type=int, default=3, help="with --against: runs per checkout (default: 3)")
    args = parser.parse_args(argv)
    if args.against:
        if not OPENI.exists():
            print(f"labeler: --against skipped, {OPENI.parent} is absent")
            return
        paired(args.against, args.reports, args.runs)
        return
    one_blas_thread()  # one core, as a worker of `extract` has
    texts, source = load_reports()
    unique = len(dict.fromkeys(texts))
    print(f"labeler: {len(texts)} reports ({source}), whole report text (--sections all), batches of {BATCH}, 1 process")
    rows = []
    for parser, cache in (("spacy", True), ("spacy", False), ("none", True)):
        labeler = Pipeline(LabelerConfig(parser=parser, sections="all"), cache_limit=200_000 if cache else 0)
        labeler.label(texts[:BATCH])  # warm-up: model load and first batch are not timed
        first = rate(labeler if not cache else Pipeline(LabelerConfig(parser=parser, sections="all")), texts[:unique])
        full = rate(labeler, texts)
        hit = labeler.cache_hits / max(1, labeler.cache_hits + labeler.cache_misses)
        rows.append((parser, cache, first, full, hit))
    print(f"{'parser':8s} {'cache':6s} {'first pass':>12s} {'all reports':>12s} {'cache hits':>10s}")
    for parser, cache, first, full, hit in rows:
        print(f"{parser:8s} {'on' if cache else 'off':6s} {first:9.0f} r/s {full:9.0f} r/s {hit:10.0%}")
    print("targets (issue 2): spacy >= 100 reports/s, none >= 2,000 reports/s; the CheXpert labeler: ~5 reports/s")


if __name__ == "__main__":
    main()
