"""clusters.html as the label map's editor, in a real browser: rename, drop and override by clicks and keys, reload,
download label_map.csv and clause_overrides.csv, and `zh label` reads the downloads as they are."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.cli import main

from .browser_pages import Watched, browser  # noqa: F401  (browser: a fixture)

# Findings the lexicon knows, a normal description, and one clause far from all (as tests/zh/test_review.py).
REPORTS = (["心影增大"] * 6 + ["心影明显增大"] * 2 + ["主动脉硬化"] * 5 + ["左侧胸腔积液"] * 4 + ["心影不大"] * 3
           + ["脊柱侧弯畸形"])


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    root = tmp_path_factory.mktemp("zh")
    src = root / "reports.csv"
    pd.DataFrame({"id": range(len(REPORTS)), "诊断": REPORTS}).to_csv(src, index=False)
    assert main(["zh", "mine", str(src), "-k", "3", "--out", str(root / "mined")]) == 0
    return src, root / "mined"


def _cluster_of(label_map: pd.DataFrame, word: str) -> str:
    return str(label_map.loc[label_map["medoid"].str.contains(word), "cluster_id"].iloc[0])


def test_edits_download_as_zh_label_reads_them(browser, mined, tmp_path):
    src, out = mined
    written = pd.read_csv(out / "label_map.csv", dtype=str, keep_default_na=False)
    heart, aorta, effusion = (_cluster_of(written, w) for w in ("心影", "主动脉", "积液"))
    view = Watched(browser.new_context(viewport={"width": 1280, "height": 900}), (out / "clusters.html").as_uri())
    page = view.page

    # Unedited, the download is the file zh mine wrote, byte for byte.
    same = view.download("#download-map", tmp_path / "unedited.csv")
    assert same.read_bytes() == (out / "label_map.csv").read_bytes()

    # Rename (typing a known Chinese name), drop, and two clause overrides, one by the keyboard.
    page.fill(f'input.label-input[data-cluster="{heart}"]', "心脏增大")
    page.click(f"#cluster-{aorta} button.drop")
    assert "dropped" in page.get_attribute(f"#cluster-{aorta}", "class")
    page.click('td.unassigned[data-clause="脊柱侧弯畸形"]')
    page.fill("#popover input", "脊柱侧弯")
    page.keyboard.press("Enter")
    page.click(f'#cluster-{heart} .clause[data-clause="心影明显增大"]')
    page.click("#popover button.drop")
    assert page.inner_text('td.unassigned[data-clause="脊柱侧弯畸形"] .override-tag') == "→ 脊柱侧弯"
    assert "1 dropped, 2 edited" in page.inner_text("#counts") and "2 clause overrides" in page.inner_text("#counts")
    view.shot("clusters-zh-edited", full_page=True)

    # A reserved or empty name is refused with the reason, and nothing is downloaded.
    page.fill(f'input.label-input[data-cluster="{effusion}"]', "unassigned")
    page.click("#download-map")
    assert "reserved output column" in page.inner_text("#say")
    page.fill(f'input.label-input[data-cluster="{effusion}"]', written.set_index("cluster_id").loc[effusion, "label"])

    view.saved("Object.keys(saved.overrides).length === 2")
    page.reload()  # the edits are kept in the browser
    assert page.input_value(f'input.label-input[data-cluster="{heart}"]') == "心脏增大"
    assert page.input_value(f'input.label-input[data-cluster="{aorta}"]') == "-"
    label_map = view.download("#download-map", out / "label_map.csv")  # saved into the mined folder, replacing
    overrides = view.download("#download-overrides", out / "clause_overrides.csv")
    assert view.requests == [] and view.errors == []

    edited = pd.read_csv(label_map, dtype=str, keep_default_na=False)
    assert list(edited.columns) == list(written.columns) and edited["medoid"].tolist() == written["medoid"].tolist()
    assert edited.set_index("cluster_id").loc[[heart, aorta], "label"].tolist() == ["心脏增大", "-"]
    assert pd.read_csv(overrides, dtype=str).values.tolist() == [["脊柱侧弯畸形", "脊柱侧弯"], ["心影明显增大", "-"]]

    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(src), "--label-map", str(label_map), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    row = {text: i for i, text in reversed(list(enumerate(REPORTS)))}
    assert "主动脉硬化" not in labels.columns and "aortic_sclerosis" not in labels.columns  # dropped
    assert labels.loc[row["心影增大"], "Cardiomegaly"] == "1.0"  # 心脏增大 is a CheXpert name
    assert labels.loc[row["心影明显增大"], "Cardiomegaly"] == ""  # its override drops it
    assert labels.loc[row["脊柱侧弯畸形"], "脊柱侧弯"] == "1.0" and labels.loc[row["脊柱侧弯畸形"], "unassigned"] == "0"

    # Mining again into the folder keeps the reviewed map (the stale-map guard still knows it was edited).
    assert main(["zh", "mine", str(src), "-k", "3", "--out", str(out)]) == 2


def test_the_unassigned_parts_are_named_on_the_page(browser, mined, tmp_path):
    src, out = mined
    view = Watched(browser.new_context(viewport={"width": 1280, "height": 900}), (out / "clusters.html").as_uri())
    page = view.page
    assert page.input_value('input.label-input[data-cluster="unassigned"]') == "-"
    page.fill('input.label-input[data-cluster="unassigned"]', "other")
    assert page.inner_text("#counts").startswith("3 clusters: 3 labels, 0 dropped, 1 edited")  # that line is no cluster
    view.shot("clusters-zh-unassigned", full_page=True)
    label_map = view.download("#download-map", tmp_path / "label_map.csv")
    assert view.requests == [] and view.errors == []
    edited = pd.read_csv(label_map, dtype=str, keep_default_na=False)
    assert edited.iloc[-1][["cluster_id", "label"]].tolist() == ["unassigned", "other"]

    new = tmp_path / "new.csv"
    pd.DataFrame({"id": [1, 2], "诊断": ["心影增大，颈椎退行性变", "心影增大"]}).to_csv(new, index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(new), "--label-map", str(label_map), "--model", str(out / "model.json"),
                 "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert labels["other"].tolist() == ["1.0", ""] and labels["unassigned"].tolist() == ["1", "0"]


def test_the_editor_page_is_chinese_and_self_contained(browser, mined):
    _, out = mined
    html = (out / "clusters.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html and "'unsafe-inline'" not in html
    view = Watched(browser.new_context(viewport={"width": 1280, "height": 800}), (out / "clusters.html").as_uri())
    names = view.page.eval_on_selector_all("#label-names option", "options => options.map((o) => o.value)")
    assert {"-", "Cardiomegaly", "Pleural Effusion", "No Finding", "aortic_sclerosis"} <= set(names)
    # The Chinese glyphs are drawn by a CJK font, not as boxes: as wide as the font size, each.
    width = view.page.evaluate("""() => { const s = document.createElement('span');
        s.style.fontSize = '20px'; s.textContent = '心影增大'; document.body.append(s);
        return s.getBoundingClientRect().width; }""")
    assert 76 <= width <= 84
    view.page.click('td.unassigned[data-clause="脊柱侧弯畸形"]')
    view.shot("clusters-zh-popover")
    assert view.requests == [] and view.errors == []
