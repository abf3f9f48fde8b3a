"""Archive-scale fixtures: report tables made from corpora/en (ids unique per row), and a runner for extract."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.errors import ReportError
from tests.conftest import ROOT

CORPUS = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", keep_default_na=False)


def reports_frame(n: int) -> pd.DataFrame:
    """n rows cycling through the corpus, with blank and None reports mixed in, each with its own id."""
    texts = [CORPUS.report[i % len(CORPUS)] for i in range(n)]
    for i in range(5, n, 37):
        texts[i] = ""
    return pd.DataFrame({"study": [f"s{i:06d}" for i in range(n)], "report": texts})


@pytest.fixture
def reports_csv(tmp_path):
    def make(n: int, name: str = "reports.csv"):
        path = tmp_path / name
        reports_frame(n).to_csv(path, index=False)
        return path
    return make


@pytest.fixture
def extract(capsys):
    """Run `cxrlabel extract ARGS` in this process; returns (exit code, stderr)."""
    def run(*args: object) -> tuple[int, str]:
        code = main(["extract", *map(str, args)])
        return code, capsys.readouterr().err
    return run


@pytest.fixture
def breaks_on_marker(monkeypatch):
    """Make a report holding 'UNREADABLE' fail to label, as a malformed report does."""
    from cxrlabel.en.labeler import Pipeline

    split = Pipeline.split

    def failing(self, index, text):
        if "UNREADABLE" in str(text):
            raise ReportError(index, "cannot split this report")
        return split(self, index, text)

    monkeypatch.setattr(Pipeline, "split", failing)
