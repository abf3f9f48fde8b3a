"""The review loop: clusters.html shows what zh label does; overrides and Chinese names act on labels."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from cxrlabel.cli import main

# Three findings the lexicon knows, one normal description, and one clause far from them all.
REPORTS = (["心影增大"] * 6 + ["心影明显增大"] * 2 + ["主动脉硬化"] * 5 + ["左侧胸腔积液"] * 4 + ["心影不大"] * 3
           + ["脊柱侧弯畸形"])


class Sections(HTMLParser):
    """Text of every cluster box and of the unassigned section, and which boxes are flagged mixed."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: dict[str, str] = {}
        self.mixed: set[str] = set()
        self.unassigned = ""
        self._box: str | None = None
        self._depth = 0
        self._in_unassigned = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._box is not None and tag == "div":
            self._depth += 1
        elif tag == "div" and (attrs.get("id") or "").startswith("cluster-") and attrs["id"] != "cluster-unassigned":
            self._box, self._depth = attrs["id"], 1
            self.boxes[self._box] = ""
            if "mixed" in attrs.get("class", "").split():
                self.mixed.add(self._box)
        if attrs.get("id") == "unassigned":
            self._in_unassigned = True

    def handle_endtag(self, tag):
        if self._box is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._box = None

    def handle_data(self, data):
        if self._box is not None:
            self.boxes[self._box] += data
        elif self._in_unassigned:
            self.unassigned += data


def _mine(tmp_path, k, *extra):
    src = tmp_path / "r.csv"
    pd.DataFrame({"id": range(len(REPORTS)), "诊断": REPORTS}).to_csv(src, index=False)
    out = tmp_path / f"m{k}"
    assert main(["zh", "mine", str(src), "-k", str(k), "--out", str(out), *extra]) == 0
    page = Sections()
    page.feed((out / "clusters.html").read_text(encoding="utf-8"))
    return src, out, page


def test_unassigned_clauses_are_listed_apart_with_counts(tmp_path):
    _, _, page = _mine(tmp_path, 3)
    assert len(page.boxes) == 3
    assert not any("脊柱侧弯畸形" in text for text in page.boxes.values())
    assert "Unassigned clauses: 1 (1 distinct)" in page.unassigned and "脊柱侧弯畸形" in page.unassigned
    # the normal description is shown with the heart-size cluster, apart from its members
    heart = next(text for text in page.boxes.values() if "心影增大" in text)
    assert re.search(r"normal descriptions of this finding, value 0\.0 \(3\):\s*心影不大", heart)


def test_a_cluster_holding_two_known_findings_is_flagged_mixed(tmp_path):
    # With the guide, a third finding is kept away from two clusters (unassigned); let everything in.
    _, _, page = _mine(tmp_path, 2, "--max-distance", "1")
    assert page.mixed, "two clusters for three findings: one must mix them"
    for box in page.mixed:
        assert "mixed:" in page.boxes[box] and "read as other findings" in page.boxes[box]
    _, _, apart = _mine(tmp_path, 3)
    assert not apart.mixed


def test_overrides_and_chinese_names_reach_the_labels(tmp_path):
    src, out, _ = _mine(tmp_path, 3)
    label_map = pd.read_csv(out / "label_map.csv")
    names = {"cardiomegaly": "心影增大", "aortic_sclerosis": "主动脉硬化", "pleural_effusion": "胸腔积液"}
    label_map["label"] = label_map["label"].replace(names)
    label_map.to_csv(out / "label_map.csv", index=False)
    pd.DataFrame({"clause": ["脊柱侧弯畸形", "心影明显增大"], "label": ["脊柱侧弯", "-"]}).to_csv(
        out / "clause_overrides.csv", index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(src), "--label-map", str(out / "label_map.csv"), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert {"Cardiomegaly", "主动脉硬化", "Pleural Effusion", "No Finding", "脊柱侧弯", "unassigned"} <= set(labels.columns)
    row = {text: i for i, text in reversed(list(enumerate(REPORTS)))}
    assert labels.loc[row["心影增大"], "Cardiomegaly"] == "1.0"
    assert labels.loc[row["心影明显增大"], "Cardiomegaly"] == ""  # the override drops it
    assert labels.loc[row["心影不大"], "Cardiomegaly"] == "0.0" and labels.loc[row["心影不大"], "No Finding"] == "1.0"
    assert labels.loc[row["脊柱侧弯畸形"], "脊柱侧弯"] == "1.0" and labels.loc[row["脊柱侧弯畸形"], "unassigned"] == "0"


def test_a_report_of_only_unassigned_clauses_is_counted_not_blank(tmp_path):
    src, out, _ = _mine(tmp_path, 3)
    new = tmp_path / "new.csv"
    pd.DataFrame({"id": [1, 2], "诊断": ["脊柱侧弯畸形，颈椎退行性变", "心影增大"]}).to_csv(new, index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(new), "--label-map", str(out / "label_map.csv"), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert labels["unassigned"].tolist() == ["2", "0"] and labels.loc[0, "n_labels"] == "0"


def test_the_unassigned_line_names_the_finding_parts_far_from_every_cluster(tmp_path):
    src, out, _ = _mine(tmp_path, 3)
    label_map = pd.read_csv(out / "label_map.csv", dtype=str, keep_default_na=False)
    assert label_map.iloc[-1][["cluster_id", "label", "medoid"]].tolist() == ["unassigned", "-", ""]
    label_map.loc[label_map.index[-1], "label"] = "other"
    label_map.to_csv(out / "label_map.csv", index=False)
    new = tmp_path / "new.csv"
    texts = ["脊柱侧弯畸形，心影增大", "未见颈椎退行性变", "颈椎退行性变?", "心膈未见异常", "心影增大"]
    pd.DataFrame({"id": range(len(texts)), "诊断": texts}).to_csv(new, index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(new), "--label-map", str(out / "label_map.csv"), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    # positive, negated and uncertain as any cluster's parts; a normal description far from all is no "other"
    assert labels["other"].tolist() == ["1.0", "0.0", "-1.0", "", ""]
    assert labels["unassigned"].tolist() == ["1", "1", "1", "0", "0"]
    assert labels.loc[0, "Cardiomegaly"] == "1.0" and labels.loc[3, "No Finding"] == "1.0"


def test_a_map_written_before_the_unassigned_line_still_labels(tmp_path):
    src, out, _ = _mine(tmp_path, 3)
    label_map = pd.read_csv(out / "label_map.csv", dtype=str, keep_default_na=False)
    label_map.iloc[:-1].to_csv(out / "label_map.csv", index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(src), "--label-map", str(out / "label_map.csv"), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert "other" not in labels.columns and labels["unassigned"].astype(int).sum() == 1


@pytest.mark.parametrize("rows, message", [
    ({"clause": ["心影增大"], "text": ["x"]}, "missing column(s) label"),
    ({"clause": ["心影增大", "心影增大"], "label": ["a", "b"]}, "line 3: this clause is listed twice"),
    ({"clause": ["心影增大"], "label": ["unassigned"]}, "reserved output column"),
])
def test_bad_overrides_are_a_clear_error_without_report_text(tmp_path, capsys, rows, message):
    src, out, _ = _mine(tmp_path, 3)
    bad = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(bad, index=False)
    assert main(["zh", "label", str(src), "--label-map", str(out / "label_map.csv"), "--clause-overrides", str(bad),
                 "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "心影" not in err


def test_a_cluster_labelled_zhengchang_is_no_finding(tmp_path):
    src, out, _ = _mine(tmp_path, 3)
    label_map = pd.read_csv(out / "label_map.csv")
    label_map["label"] = ["正常" if "主动脉" in str(medoid) else label for medoid, label in
                          zip(label_map["medoid"], label_map["label"])]
    label_map.to_csv(out / "label_map.csv", index=False)
    labels_csv = tmp_path / "labels.csv"
    assert main(["zh", "label", str(src), "--label-map", str(out / "label_map.csv"), "-o", str(labels_csv)]) == 0
    labels = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    assert "正常" not in labels.columns and "aortic_sclerosis" not in labels.columns
    assert labels.loc[REPORTS.index("主动脉硬化"), "No Finding"] == "1.0"
    assert labels.loc[REPORTS.index("心影增大"), "No Finding"] == ""
