"""Rewrite every golden file in tests/golden from the current rules and lexicons: after a change that is
meant to move labels, run `python -m tests.golden.regenerate` at the top of the checkout and review
`git diff tests/golden` before committing it. tests/en/test_corpus.py compares against these files."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cxrlabel.cli import main

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "corpora" / "en" / "reports.csv"
GOLDEN = Path(__file__).resolve().parent
PARSERS = ("spacy", "none")
COMMAND = "python -m tests.golden.regenerate"
# what a mentions record says about the deciding rule; the sentence and the end offset follow from these
MENTION_COLUMNS = ["report", "observation", "kind", "phrase", "start", "label", "rule"]


def labels_file(parser: str) -> str:
    return f"en_labels_{parser}.csv"


def mentions_file(parser: str) -> str:
    return f"en_mentions_{parser}.csv"


def outputs(parser: str) -> dict[str, str]:
    """Golden file name -> text, for `parser`: what `cxrlabel extract` writes for corpora/en/reports.csv, as
    the labels of each report (without its text) and the rule that decided each mention, report by report."""
    with tempfile.TemporaryDirectory() as folder:
        labels, mentions = Path(folder) / "labels.csv", Path(folder) / "mentions.jsonl"
        code = main(["extract", str(REPORTS), "--id-column", "id", "-o", str(labels), "--mentions-out", str(mentions),
                     "--parser", parser, "--workers", "1", "-q"])
        if code:
            raise RuntimeError(f"cxrlabel extract --parser {parser} exited {code}")
        table = pd.read_csv(labels, dtype=str, keep_default_na=False).drop(columns="Reports")
        records = [json.loads(line) for line in mentions.read_text(encoding="utf-8").splitlines()]
    position = {report: i for i, report in enumerate(table["id"])}
    # by report, then by place in it (decisions about the whole report last), so a reordering inside the
    # labeller that changes no rule or label changes nothing here
    records.sort(key=lambda r: (position[r["report"]], r["start"] is None, r["start"] or 0, r["observation"], r["kind"]))
    rules = pd.DataFrame(records, columns=MENTION_COLUMNS).astype({"start": "Int64"})
    return {labels_file(parser): table.to_csv(index=False), mentions_file(parser): rules.to_csv(index=False)}


def regenerate() -> int:
    written = {name: text for parser in PARSERS for name, text in outputs(parser).items()}  # all, or none on failure
    for name, text in written.items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
        print(f"wrote tests/golden/{name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(regenerate())
