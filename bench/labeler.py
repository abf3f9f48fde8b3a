"""English labeler throughput in one process: reports/s for --parser spacy and --parser none.

Input: the 3,080 real Open-i reports (../shared/data/openi_dev) repeated 4 times (12,320 reports),
or, where that folder is absent, the 157 reports of corpora/en repeated to 10,048. Repetition helps
the sentence cache, so spaCy is also timed with the cache off, and on the first (unrepeated) pass.
Run: python -m bench.labeler
"""
from __future__ import annotations

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


def main() -> None:
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
