"""review.html for a Chinese sample: each clause part with its cluster, label and polarity, as zh label reads it."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.zh.label import EXTRA_COLUMNS

from .browser_pages import Watched, browser, write_sample  # noqa: F401  (browser: a fixture)

REPORTS = ["心影增大，主动脉硬化", "左侧胸腔积液，考虑肺炎", "心影不大，两肺未见实变", "脊柱侧弯畸形", "主动脉硬化、心影未见增大",
           "心影增大", "左侧胸腔积液", "主动脉硬化", "右下肺炎", "心影明显增大"] * 2


@pytest.fixture(scope="module")
def zh_sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("zhreview")
    src = root / "reports.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(len(REPORTS))], "诊断": REPORTS}).to_csv(src, index=False)
    assert main(["zh", "mine", str(src), "-k", "5", "--out", str(root / "mined")]) == 0
    labels_csv = root / "labels.csv"
    label_map = root / "mined" / "label_map.csv"
    assert main(["zh", "label", str(src), "--label-map", str(label_map), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype={"id": str}).head(5)
    observations = [c for c in labels.columns if c not in ("id", "诊断", *EXTRA_COLUMNS)]
    folder = write_sample(root / "review", labels, "id", observations, [""] * 5, src, language="zh",
                          text_column="诊断")
    assert main(["review", str(folder), "--label-map", str(label_map)]) == 0
    return folder, labels, observations


def test_clause_parts_show_cluster_label_and_polarity(browser, zh_sample, tmp_path):
    folder, labels, observations = zh_sample
    view = Watched(browser.new_context(viewport={"width": 1280, "height": 700}), (folder / "review.html").as_uri())
    page = view.page
    page.keyboard.press("ArrowRight")  # r1: 左侧胸腔积液，考虑肺炎
    assert page.inner_text("#text") == "左侧胸腔积液，考虑肺炎"
    parts = page.locator("#parts .part")
    assert parts.count() == 2
    pneumonia = parts.nth(1)
    assert "肺炎" in pneumonia.inner_text() and "uncertain" in pneumonia.inner_text()
    assert "Pneumonia" in pneumonia.inner_text() and "v-1" in pneumonia.get_attribute("class")
    assert "uncertain: uncertain; #" in pneumonia.get_attribute("title")
    view.shot("review-zh-parts")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    got = pd.read_csv(view.download("#download", tmp_path / "reviewed.csv"), dtype=str, keep_default_na=False)
    assert list(got.columns) == ["id", *observations, "reviewer", "reviewed_at", "status"]
    assert got["status"].tolist() == ["unreviewed", "confirmed", "confirmed", "unreviewed", "unreviewed"]
    assert got.loc[1, "Pneumonia"] == "-1.0" and got.loc[1, "Pleural Effusion"] == "1.0"
    assert view.requests == [] and view.errors == []


def test_without_the_label_map_the_text_alone_is_shown(browser, zh_sample, tmp_path, capsys):
    folder, labels, _ = zh_sample
    out = tmp_path / "plain.html"
    assert main(["review", str(folder), "-o", str(out)]) == 0
    assert "no --label-map, so the page shows each report without its clause parts" in capsys.readouterr().err
    view = Watched(browser.new_context(), out.as_uri())
    assert view.page.inner_text("#text") == REPORTS[0] and view.page.locator("#parts .part").count() == 0
    view.page.keyboard.press("Enter")
    assert view.page.inner_text("#progress").startswith("1 / 5 confirmed")
    assert view.requests == [] and view.errors == []
