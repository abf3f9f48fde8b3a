"""Archive scale: `cxrlabel extract` throughput, worker scaling, peak memory and Dask overhead on ≥100k reports.

Input: the 3,080 real Open-i reports (../shared/data/openi_dev), then varied copies of them, in shuffled
order: in every sentence numbers change, left and right swap half the time, size words (small, tiny,
moderate, large, mild, minimal) are redrawn, one phrase per synonym group is reworded ("There is no X" /
"No evidence of X", "is seen" / "is noted", osseous / bony, ...), and 37% of sentences get a dated
comparison clause ("unchanged since 04/01/2009"). Synonyms alone repeat too much: the clause is what keeps
the input's unique-sentence ratio at or above the real reports' (38.7%), measured with the labeler's own
sentence splitter over the whole text (--sections all, as in every run here); both ratios are printed.

Every measurement runs the real command in a subprocess, timed from start to exit (model loading
included), with the resident memory of its whole process tree sampled every 0.1 s. The spaCy runs with 1
and 2 workers and on Dask are repeated, alternating (--repeat, default 2), and every run is listed: on a
shared virtual machine other tenants slow a run by 10-40% at unpredictable times, never speed it up, so
the targets are judged on the fastest run of each, as timeit does, and the paired ratios are shown too.
With --against DIR, another checkout's spaCy 2-worker run follows each of ours, and the rate ratio is printed.
Run: python -m bench.archive [--reports 100000] [--against DIR]   (skips with a message when the shared data is absent)
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxrlabel.en import sections, sentences
from cxrlabel.resources import lexicons_dir

ROOT = Path(__file__).resolve().parents[1]
OPENI = ROOT.parent / "shared" / "data" / "openi_dev" / "openi_dev_gold_strict.csv"
ABBREVIATIONS = str(lexicons_dir() / "en" / "abbreviations.txt")

SIDES = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}
SIZE_WORDS = ("small", "tiny", "moderate", "large", "mild", "minimal")
PHRASINGS = (  # each group: ways of saying the same thing; the first phrase found in a sentence is replaced
    ("There is no", "No evidence of", "There is no evidence of", "No"),
    ("is seen", "is noted", "is identified", "is present", "is demonstrated"),
    ("are seen", "are noted", "are identified", "are present"),
    ("is normal", "is within normal limits", "appears normal", "is unremarkable"),
    ("are normal", "are within normal limits", "appear normal", "are unremarkable"),
    ("unchanged", "stable", "not significantly changed"),
    ("within normal limits", "normal", "within normal range"),
    ("The lungs are clear", "Lungs are clear", "The lungs are clear bilaterally", "Both lungs are clear"),
    ("pneumothorax or pleural effusion", "pleural effusion or pneumothorax", "pneumothorax or effusion"),
    ("No acute cardiopulmonary abnormality", "No acute cardiopulmonary process", "No acute cardiopulmonary disease",
     "No acute cardiopulmonary findings"),
    ("Heart size", "Cardiac size", "The heart size"),
    ("heart size", "cardiac size", "size of the heart"),
    ("cardiomediastinal silhouette", "cardiomediastinal contours", "cardiac and mediastinal contours"),
    ("mediastinal contour", "mediastinal silhouette", "mediastinal contours"),
    ("osseous", "bony", "skeletal"),
    ("opacity", "density", "opacification"),
    ("opacities", "densities", "opacifications"),
    ("airspace disease", "airspace consolidation", "air space disease"),
    ("pulmonary vascularity", "pulmonary vasculature", "vascular markings"),
    ("degenerative changes", "degenerative change", "spondylosis"),
    ("thoracic spine", "thoracic vertebrae", "dorsal spine"),
    ("bilaterally", "in both lungs", "on both sides"),
    ("upper lobe", "lower lobe", "middle lobe"),
    ("base", "bases"),
    ("focal", "focal or diffuse"),
    ("acute", "active"),
)
COMPARISON_SHARE = 0.37  # of sentences that get a dated comparison clause
COMPARISONS = ("compared with the study of {date}", "unchanged since {date}", "as on {date}", "new since {date}")


def date(rng: random.Random) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2005, 2015)}"


def vary_sentence(sentence: str, rng: random.Random, comparison: float) -> str:
    """One sentence said another way; the kind of finding and its negation or hedging are kept."""
    s = re.sub(r"\b(\d+)\b", lambda m: str(max(1, int(m.group(1)) + rng.choice((-2, -1, 1, 2, 3)))), sentence)
    if rng.random() < 0.5:
        s = re.sub(r"\b(left|right|Left|Right)\b", lambda m: SIDES[m.group(1)], s)
    s = re.sub(r"\b(" + "|".join(SIZE_WORDS) + r")\b", lambda m: rng.choice(SIZE_WORDS), s)
    for group in PHRASINGS:
        for phrase in group:
            pattern = r"\b" + re.escape(phrase) + r"\b"
            if re.search(pattern, s):
                s = re.sub(pattern, rng.choice(group), s, count=1)
                break
    if rng.random() < comparison and s.endswith("."):
        s = s[:-1] + ", " + rng.choice(COMPARISONS).format(date=date(rng)) + "."
    return s


def openi_reports() -> list[str]:
    """The 3,080 real Open-i report texts, a missing one as empty: where this bench and bench.labeler start."""
    return pd.read_csv(OPENI).report_text.fillna("").tolist()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences the labeler analyses with --sections all."""
    return sentences.split(text, sections.select(text, "all"), ABBREVIATIONS)


def vary_report(text: str, spans: list[tuple[int, int]], rng: random.Random, comparison: float) -> str:
    out, last = [], 0
    for s, e in spans:
        out += [text[last:s], vary_sentence(text[s:e], rng, comparison)]
        last = e
    return "".join(out) + text[last:]


def unique_sentence_ratio(texts: list[str]) -> float:
    seen, total = set(), 0
    for text in texts:
        for s, e in sentence_spans(text):
            seen.add(text[s:e])
            total += 1
    return len(seen) / max(total, 1)


def build_input(n: int, seed: int = 0, comparison: float = COMPARISON_SHARE) -> tuple[list[str], float, float]:
    """n reports: the real ones first, then varied copies; returns (texts, real ratio, built ratio)."""
    real = openi_reports()
    rng = random.Random(seed)
    spans = [sentence_spans(text) for text in real]
    texts = real[:n] + [vary_report(real[i % len(real)], spans[i % len(real)], rng, comparison)
                        for i in range(max(0, n - len(real)))]
    rng.shuffle(texts)
    return texts, unique_sentence_ratio(real), unique_sentence_ratio(texts)


@dataclass
class Measured:
    name: str
    command: str
    reports: int
    seconds: float
    peak_rss: int  # bytes, the whole process tree
    summary: str  # the command's own summary line about the sentence cache

    @property
    def rate(self) -> float:
        return self.reports / self.seconds


def tree_rss(process) -> int:
    import psutil

    total = 0
    for p in [process] + process.children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(name: str, args: list[str], reports: int, tree: Path = ROOT) -> Measured:
    """One run of `cxrlabel extract` with `tree`'s cxrlabel (this checkout's, or the one --against names)."""
    import psutil

    command = [sys.executable, "-m", "cxrlabel", "extract", *args]
    start = time.perf_counter()
    run = subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, PYTHONPATH=str(tree)))
    process, peak = psutil.Process(run.pid), 0
    while run.poll() is None:
        peak = max(peak, tree_rss(process))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    out, err = run.communicate()
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{err}")
    summary = next((line.split(": ", 1)[1] for line in err.splitlines() if "sentence cache" in line), "")
    shown = " ".join(a if " " not in a else repr(a) for a in ["cxrlabel", "extract", *args])
    return Measured(name, shown, reports, seconds, peak, summary)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; the defaults are the sizes the targets are judged at."""
    ap = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=100_000, help="size of the large input (default: 100,000)")
    ap.add_argument("--small", type=int, default=10_000, help="size of the small input for the memory check")
    ap.add_argument("--no-cache-reports", type=int, default=20_000,
                    help="reports for the cache-off run (the rate does not depend on size without a cache)")
    ap.add_argument("--chunk-size", type=int, default=10_000, help="extract --chunk-size (default: extract's, 10,000)")
    ap.add_argument("--skip-dask", action="store_true", help="leave out the Dask LocalCluster run")
    ap.add_argument("--repeat", type=int, default=2, help="runs of spaCy with 1 worker, 2 workers and Dask, alternating (default: 2)")
    ap.add_argument("--against", type=Path, metavar="DIR",
                    help="another checkout (the turn-2 code, say): its spaCy 2-worker run follows each of ours")
    return ap.parse_args(argv)


def missing_requirement() -> str | None:
    """Why this machine cannot run the bench, or None: without the data or psutil it skips rather than fails."""
    if not OPENI.exists():
        return f"{OPENI.parent} is absent"
    if importlib.util.find_spec("psutil") is None:  # comes with the dask extra
        return "psutil is needed to sample memory (pip install psutil)"
    return None


def warn_if_busy() -> None:
    """Say so when the machine is already busy: other work lowers every rate measured here."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"archive: warning: load average {load:.2f} before starting; other work will lower these numbers")


def print_input(reports: int, real_ratio: float, ratio: float) -> None:
    """What the input is, and whether its sentences repeat no more than the real reports' (else the cache is flattered)."""
    print(f"input: {reports:,} reports = the 3,080 real Open-i reports + varied copies (numbers, sides, size words, "
          f"phrasing; a dated comparison clause on {COMPARISON_SHARE:.0%} of sentences)")
    print(f"unique-sentence ratio (--sections all): real Open-i {real_ratio:.1%}, this input {ratio:.1%}"
          + ("" if ratio >= real_ratio else "  (BELOW the real reports: the cache is flattered)"))


@dataclass
class Inputs:
    """The CSV files the runs read, with their numbers of reports; outputs go to the same folder."""
    folder: Path
    big: Path
    small: Path
    nocache: Path
    n_big: int
    n_small: int
    n_nocache: int


def write_inputs(texts: list[str], folder: Path, small: int, no_cache_reports: int) -> Inputs:
    """The whole input and its first `small` and `no_cache_reports` reports, written once for every run."""
    big, small_csv, nocache = (folder / f"reports_{k}.csv" for k in ("big", "small", "nocache"))
    frame = pd.DataFrame({"id": [f"r{i:07d}" for i in range(len(texts))], "report": texts})
    frame.to_csv(big, index=False)
    frame.head(small).to_csv(small_csv, index=False)
    frame.head(no_cache_reports).to_csv(nocache, index=False)
    return Inputs(folder, big, small_csv, nocache, len(texts), min(small, len(texts)), min(no_cache_reports, len(texts)))


def measured_runs(inputs: Inputs, chunk_size: int, repeat: int, dask: bool, against: Path | None = None) -> list[Measured]:
    """Every run, the repeated ones alternating so that a slow moment of a shared machine falls on each kind."""
    common = ["--id-column", "id", "--sections", "all", "--chunk-size", str(chunk_size)]

    def run(name: str, source: Path, reports: int, options: list[str], output: str, tree: Path = ROOT) -> Measured:
        return measure(name, [str(source), *common, *options, "-o", str(inputs.folder / f"{output}.csv")], reports, tree)

    big, n = inputs.big, inputs.n_big
    runs = []
    for i in range(1, max(repeat, 1) + 1):
        runs += [run(f"spacy, 1 worker (run {i})", big, n, ["--workers", "1"], "w1"),
                 run(f"spacy, 2 workers (run {i})", big, n, ["--workers", "2"], "w2")]
        if against is not None:
            runs.append(run(f"against: spacy, 2 workers (run {i})", big, n, ["--workers", "2"], "against", against))
        if dask:
            runs.append(run(f"spacy, dask LocalCluster, 2 workers (run {i})", big, n,
                            ["--engine", "dask", "--workers", "2"], "dask"))
    return runs + [
        run("spacy, 2 workers, cache off", inputs.nocache, inputs.n_nocache, ["--workers", "2", "--no-cache"], "nc"),
        run("none, 2 workers", big, n, ["--workers", "2", "--parser", "none"], "none"),
        run("spacy, 1 worker, small input", inputs.small, inputs.n_small, ["--workers", "1"], "small"),
    ]


def print_table(runs: list[Measured]) -> None:
    """Every run, with the command that reproduces it: the fastest-run figures below are picked from these."""
    print(f"\n{'measurement':44s} {'reports':>8s} {'seconds':>8s} {'reports/s':>10s} {'peak RSS':>9s}  cache / command")
    for r in runs:
        print(f"{r.name:44s} {r.reports:8d} {r.seconds:8.1f} {r.rate:10.0f} {r.peak_rss / 2**20:7.0f}MB  {r.summary}")
        print(f"{'':44s} $ {r.command}")


def named(runs: list[Measured], prefix: str) -> list[Measured]:
    """The runs of one kind, in the order they ran (the repeats pair up by position)."""
    return [r for r in runs if r.name.startswith(prefix)]


def print_targets(runs: list[Measured]) -> None:
    """The figures the targets are judged on: the fastest run of each kind, as timeit does, and the paired ratios."""
    ones, twos = named(runs, "spacy, 1 worker (run"), named(runs, "spacy, 2 workers (run")
    one, two = max(ones, key=lambda r: r.rate), max(twos, key=lambda r: r.rate)
    small_run = next(r for r in runs if r.name == "spacy, 1 worker, small input")
    peak = max(r.peak_rss for r in ones)
    print(f"\nspaCy with the cache, 2 workers: {two.rate:,.0f} reports/s, fastest of {len(twos)} "
          f"({', '.join(f'{r.rate:,.0f}' for r in twos)}; target >= 1,000)")
    print(f"scaling 1 -> 2 workers: {two.rate / one.rate:.2f}x, fastest against fastest (run by run: "
          f"{', '.join(f'{b.rate / a.rate:.2f}x' for a, b in zip(ones, twos))}; target >= 1.7)")
    print(f"peak memory, 1 worker: {small_run.peak_rss / 2**20:.0f} MB at {small_run.reports:,} reports, "
          f"{peak / 2**20:.0f} MB at {one.reports:,} (highest run; {peak / small_run.peak_rss - 1:+.1%}; target within 10%)")
    theirs = named(runs, "against: spacy, 2 workers (run")
    if theirs:
        print(f"this checkout against the other, spaCy with 2 workers: {two.rate / max(r.rate for r in theirs):.2f}x the "
              f"rate, fastest against fastest (run by run: {', '.join(f'{b.rate / a.rate:.2f}x' for a, b in zip(theirs, twos))})")
    dasks = named(runs, "spacy, dask LocalCluster")
    if dasks:
        dask = min(dasks, key=lambda r: r.seconds)
        print(f"Dask LocalCluster vs local engine, 2 workers: {dask.seconds / two.seconds:.2f}x the time, fastest against "
              f"fastest (run by run: {', '.join(f'{d.seconds / b.seconds:.2f}x' for b, d in zip(twos, dasks))}; "
              "target <= 1.3)")
    print("times include starting Python and loading the model in each worker (several seconds per run)")


def main(argv: list[str] | None = None) -> None:
    """Build the input, run every measurement on it, then print each run and the figures the targets are judged on."""
    args = parse_args(argv)
    missing = missing_requirement()
    if missing:
        print(f"archive: skipped, {missing}")
        return
    warn_if_busy()
    texts, real_ratio, ratio = build_input(args.reports)
    print_input(len(texts), real_ratio, ratio)
    with tempfile.TemporaryDirectory(prefix="cxrlabel-bench-") as tmp:
        inputs = write_inputs(texts, Path(tmp), args.small, args.no_cache_reports)
        runs = measured_runs(inputs, args.chunk_size, args.repeat, dask=not args.skip_dask,
                             against=args.against.resolve() if args.against else None)
    print_table(runs)
    print_targets(runs)


if __name__ == "__main__":
    main()
