"""Mining real Chinese CT/MRI impressions (not chest X-ray, noisy) must not crash.

The data lives beside the checkout in ../shared/data/zh/ and is never copied into the repo.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main

SHARED_FILE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "zh" / "yidu_s4k_ct_reports.csv"


@pytest.mark.skipif(not SHARED_FILE.is_file(), reason=f"real-report data not present at {SHARED_FILE}")
def test_mine_and_label_real_impressions(tmp_path, capsys):
    out = tmp_path / "mined"
    assert main(["zh", "mine", str(SHARED_FILE), "--column", "impression", "--id-column", "report_id",
                 "-k", "10", "--out", str(out)]) == 0
    clusters = pd.read_csv(out / "clusters.csv")
    assert len(clusters) == 10 and clusters["n_clauses"].sum() > 2000
    printed = capsys.readouterr().out
    assert "top 10 clusters cover" in printed
    labels_path = tmp_path / "labels.csv"
    assert main(["zh", "label", str(SHARED_FILE), "--column", "impression", "--id-column", "report_id",
                 "--label-map", str(out / "label_map.csv"), "-o", str(labels_path)]) == 0
    labels = pd.read_csv(labels_path, dtype=str, keep_default_na=False)
    source = pd.read_csv(SHARED_FILE, dtype=str, keep_default_na=False)
    assert labels["report_id"].tolist() == source["report_id"].tolist()  # every row, in order, empty ones too
