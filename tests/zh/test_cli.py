"""The commands end to end, through cxrlabel.cli.main as a user runs them."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh"
REPORTS = str(CORPUS / "reports.csv")


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    out = tmp_path_factory.mktemp("mined")
    assert main(["zh", "mine", REPORTS, "--column", "诊断", "-k", "10", "--out", str(out)]) == 0
    return out


def test_mine_writes_all_outputs(mined, capsys):
    clusters = pd.read_csv(mined / "clusters.csv")
    assert len(clusters) == 10 and clusters["cluster_id"].tolist() == list(range(1, 11))
    assert clusters["n_clauses"].is_monotonic_decreasing
    assert {"medoid", "n_reports", "report_share", "top_members"} <= set(clusters.columns)
    assignments = pd.read_csv(mined / "assignments.csv")
    assert set(assignments["cue"]) <= {"none", "negated", "uncertain", "normal"}
    assert assignments["nearest_cluster"].between(1, 10).all() and assignments["distance"].between(0, 1).all()
    # normal descriptions (心影不大) and findings beyond --max-distance are no cluster's members
    members = assignments["cluster_id"].notna()
    assert assignments.loc[members, "cluster_id"].between(1, 10).all()
    assert (assignments.loc[assignments["cue"] == "normal", "cluster_id"].isna()).all()
    assert (assignments.loc[members, "distance"] <= 0.5).all()
    label_map = pd.read_csv(mined / "label_map.csv")
    assert list(label_map.columns[:3]) == ["cluster_id", "label", "medoid"]
    assert "aortic_sclerosis" in set(label_map["label"])  # prefilled from known_findings.tsv
    model = json.loads((mined / "model.json").read_text(encoding="utf-8"))
    assert model["cluster_ids"] == list(range(1, 11)) and len(model["medoid_tokens"]) == 10


def test_html_is_self_contained_and_escaped(tmp_path):
    rows = ["<script>alert(1)</script>胸腔积液", "左侧胸腔积液", "心影增大", "心影增大", "主动脉硬化"]
    src = tmp_path / "r.csv"
    pd.DataFrame({"id": range(5), "诊断": rows}).to_csv(src, index=False)
    assert main(["zh", "mine", str(src), "-k", "2", "--out", str(tmp_path / "m")]) == 0
    page = (tmp_path / "m" / "clusters.html").read_text(encoding="utf-8")
    # the page's own script is inline (clusters.js); the report's is escaped in the markup and in the JSON data
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page and "\\u003cscript\\u003ealert" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert "font-size:" in page


def test_mine_prints_coverage_but_no_report_text(tmp_path, capsys):
    assert main(["zh", "mine", REPORTS, "-k", "12", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr()
    assert "top 10 clusters cover" in printed.out
    text = pd.read_csv(REPORTS, dtype=str, keep_default_na=False)["诊断"]
    assert not any(clause in printed.out + printed.err for clause in ("胸腔积液", "心影增大", "纹理增多"))
    assert len(text) == 420


def test_same_seed_gives_identical_outputs(tmp_path):
    for name in ("a", "b"):
        assert main(["zh", "mine", REPORTS, "-k", "8", "--seed", "3", "--out", str(tmp_path / name)]) == 0
    for file in ("clusters.csv", "assignments.csv", "label_map.csv", "model.json", "clusters.html"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_k_range_prints_silhouette_curve(tmp_path, capsys):
    assert main(["zh", "mine", REPORTS, "--k-range", "4:7", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "weighted silhouette" in out and out.count("<- chosen") == 1
    assert 4 <= len(pd.read_csv(tmp_path / "clusters.csv")) <= 7


def test_mine_then_label_end_to_end(mined, tmp_path, capsys):
    out = tmp_path / "labels.csv"
    assert main(["zh", "label", REPORTS, "--label-map", str(mined / "label_map.csv"), "-o", str(out)]) == 0
    labels = pd.read_csv(out, dtype=str, keep_default_na=False)
    reports = pd.read_csv(REPORTS, dtype=str, keep_default_na=False)
    assert labels["id"].tolist() == reports["id"].tolist()
    assert {"No Finding", "n_labels", "single_label", "unassigned", "aortic_sclerosis", "Cardiomegaly"} <= set(labels.columns)
    values = set(labels.drop(columns=["id", "诊断", "n_labels", "single_label", "unassigned"]).to_numpy().ravel())
    assert values <= {"1.0", "0.0", "-1.0", ""}
    one = labels[labels["n_labels"] == "1"]
    assert len(one) and (one["single_label"] != "").all()
    assert (labels.loc[labels["n_labels"] != "1", "single_label"] == "").all()
    assert "unassigned" in capsys.readouterr().out


def test_edited_map_merges_and_drops_clusters(mined, tmp_path):
    edited = pd.read_csv(mined / "label_map.csv")
    edited["label"] = ["finding_a"] * 3 + ["-"] * (len(edited) - 3)  # the last line: the unassigned parts
    edited.to_csv(mined / "edited.csv", index=False)
    out = tmp_path / "labels.csv"
    assert main(["zh", "label", REPORTS, "--label-map", str(mined / "edited.csv"), "-o", str(out)]) == 0
    labels = pd.read_csv(out)
    assert [c for c in labels.columns if c not in ("id", "诊断")] == [
        "finding_a", "No Finding", "n_labels", "single_label", "unassigned"]


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.drop(columns="label"), "missing column"),
    (lambda m: m.assign(cluster_id=[99] + m["cluster_id"].tolist()[1:]), "line 2: cluster_id '99'"),
    (lambda m: m.assign(label=[""] + m["label"].tolist()[1:]), "empty label"),
    (lambda m: pd.concat([m, m.head(1)]), "appears twice"),
])
def test_bad_label_map_is_a_clear_error(mined, tmp_path, capsys, edit, message):
    bad = tmp_path / "bad.csv"
    edit(pd.read_csv(mined / "label_map.csv")).to_csv(bad, index=False)
    (tmp_path / "model.json").write_bytes((mined / "model.json").read_bytes())
    assert main(["zh", "label", REPORTS, "--label-map", str(bad), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_gb18030_file_is_read_automatically_and_with_encoding(mined, tmp_path):
    text = "id,诊断\n1,两肺纹理增多，心影增大\n2,未见胸腔积液\n3,主动脉硬化\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    for extra in ([], ["--encoding", "gb18030"]):
        out = tmp_path / f"l{len(extra)}.csv"
        assert main(["zh", "label", str(path), "--label-map", str(mined / "label_map.csv"), "-o", str(out), *extra]) == 0
        labels = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert labels["诊断"].tolist()[2] == "主动脉硬化"
        assert labels.loc[2, "aortic_sclerosis"] == "1.0"


def test_empty_and_non_chinese_rows_stay(mined, tmp_path):
    path = tmp_path / "odd.csv"
    pd.DataFrame({"id": ["a", "b", "c", "d"], "诊断": ["", "Normal chest radiograph.", "1. 2. 3.", "心影增大"]}).to_csv(
        path, index=False)
    out = tmp_path / "labels.csv"
    assert main(["zh", "label", str(path), "--label-map", str(mined / "label_map.csv"), "-o", str(out)]) == 0
    labels = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert labels["id"].tolist() == ["a", "b", "c", "d"]
    label_cols = labels.columns.drop(["id", "诊断", "n_labels", "single_label", "unassigned"])
    assert (labels.loc[0, label_cols] == "").all() and labels.loc[0, "n_labels"] == "0"
    assert (labels.loc[2, label_cols] == "").all()


def test_k_larger_than_distinct_clauses_exits_2(tmp_path, capsys):
    path = tmp_path / "few.csv"
    pd.DataFrame({"id": [1, 2], "诊断": ["心影增大", "主动脉硬化，心影增大"]}).to_csv(path, index=False)
    assert main(["zh", "mine", str(path), "-k", "5", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "only 2 distinct clauses" in err and "Traceback" not in err


def test_missing_column_exits_2(tmp_path, capsys):
    assert main(["zh", "mine", REPORTS, "--column", "impression", "--out", str(tmp_path)]) == 2
    assert "no column 'impression'" in capsys.readouterr().err


def test_sklearn_extra_engine_exits_2_when_not_installed(tmp_path, capsys):
    try:
        import sklearn_extra  # noqa: F401
        pytest.skip("scikit-learn-extra is installed here")
    except Exception:
        pass
    assert main(["zh", "mine", REPORTS, "-k", "3", "--engine", "sklearn-extra", "--out", str(tmp_path)]) == 2
    assert "scikit-learn-extra" in capsys.readouterr().err


def test_sampled_mining_runs_end_to_end(tmp_path, capsys):
    assert main(["zh", "mine", REPORTS, "-k", "6", "--sample", "60", "--samples", "3", "--out", str(tmp_path)]) == 0
    assignments = pd.read_csv(tmp_path / "assignments.csv")
    assert assignments["nearest_cluster"].between(1, 6).all()
    assert len(pd.read_csv(tmp_path / "clusters.csv")) == 6
    assert "CLARA: 3 samples of 60" in capsys.readouterr().out
