"""`zh split`: one cluster re-clustered without mining again, the reviewer's labels kept, the guard on an
edited label map still in force, and zh label using the new clusters."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.zh.mine_outputs import map_is_as_written

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh"
REPORTS = str(CORPUS / "reports.csv")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("split") / "mined"
    assert main(["zh", "mine", REPORTS, "--column", "诊断", "-k", "10", "--out", str(out)]) == 0
    return out


@pytest.fixture
def mined(pristine, tmp_path) -> Path:
    copy = tmp_path / "mined"
    shutil.copytree(pristine, copy)
    return copy


def _map(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "label_map.csv", dtype=str, keep_default_na=False)


def _biggest_mixed_or_first(folder: Path) -> int:
    clusters = pd.read_csv(folder / "clusters.csv")
    return int(clusters.sort_values("n_unique", ascending=False)["cluster_id"].iloc[0])


def test_split_keeps_edited_labels_and_the_guard(mined, capsys):
    reviewed = _map(mined)
    reviewed["label"] = [f"reviewed_{i}" for i in range(len(reviewed))]
    reviewed["notes"] = "checked"  # a column of the reviewer's own
    reviewed.to_csv(mined / "label_map.csv", index=False)
    target = _biggest_mixed_or_first(mined)
    old_model = json.loads((mined / "model.json").read_text(encoding="utf-8"))
    members = pd.read_csv(mined / "assignments.csv")
    n_members = int(((members["nearest_cluster"] == target) & (members["cue"] != "normal")).sum())

    assert main(["zh", "split", str(mined), "--cluster", str(target), "-k", "2"]) == 0
    printed = capsys.readouterr().out
    assert f"{n_members} finding parts" in printed and f"#{target}, #11" in printed

    model = json.loads((mined / "model.json").read_text(encoding="utf-8"))
    assert model["cluster_ids"] == list(range(1, 12))
    unchanged = [i for i in range(10) if i != target - 1]
    assert [model["medoids"][i] for i in unchanged] == [old_model["medoids"][i] for i in unchanged]
    after = _map(mined)
    assert after["cluster_id"].tolist() == [str(c) for c in range(1, 12)] + ["unassigned"]
    # every reviewer's label as written, the unassigned parts' line still last
    assert after["label"].tolist()[:10] + after["label"].tolist()[-1:] == reviewed["label"].tolist()
    assert after["notes"].tolist()[:10] == ["checked"] * 10
    assert after.loc[10, "split_from"] == str(target) and after.loc[target - 1, "split_from"] == str(target)
    assert after.loc[10, "label"] and not after.loc[10, "label"].startswith("reviewed_")
    assert after["medoid"].tolist()[:-1] == model["medoids"]  # the map still fits its model
    assert not map_is_as_written(mined)  # still an edited map: a rerun of zh mine must not replace it
    assert main(["zh", "mine", REPORTS, "--column", "诊断", "-k", "10", "--out", str(mined)]) == 2
    assert _map(mined)["label"].tolist() == after["label"].tolist()  # refused: the map stays as it was

    page = (mined / "clusters.html").read_text(encoding="utf-8")
    assert "11 clause clusters" in page
    clusters = pd.read_csv(mined / "clusters.csv")
    assert clusters["cluster_id"].tolist() == list(range(1, 12))
    assignments = pd.read_csv(mined / "assignments.csv")
    assert set(assignments["nearest_cluster"]) <= set(range(1, 12)) and 11 in set(assignments["cluster_id"])


def test_split_clusters_label_as_zh_label_assigns_them(mined, tmp_path):
    target = _biggest_mixed_or_first(mined)
    assert main(["zh", "split", str(mined), "--cluster", str(target), "-k", "2"]) == 0
    named = _map(mined)
    named.loc[10, "label"] = "the_new_half"
    named.to_csv(mined / "label_map.csv", index=False)
    out = tmp_path / "labels.csv"
    assert main(["zh", "label", REPORTS, "--label-map", str(mined / "label_map.csv"), "-o", str(out)]) == 0
    labels = pd.read_csv(out)
    assignments = pd.read_csv(mined / "assignments.csv")
    in_new = assignments[(assignments["cluster_id"] == 11)]
    # every report with a positive part in the new cluster carries its label, and only those with a part there
    positive_rows = set(in_new.loc[in_new["cue"] == "none", "row"])
    assert positive_rows and set(labels.index[labels["the_new_half"] == 1.0]) == positive_rows


def test_split_of_a_pristine_map_stays_replaceable(mined):
    assert main(["zh", "split", str(mined), "--cluster", "1", "-k", "2"]) == 0
    assert map_is_as_written(mined)
    assert main(["zh", "mine", REPORTS, "--column", "诊断", "-k", "10", "--out", str(mined)]) == 0
    assert len(_map(mined)) == 10 + 1  # and the line of the unassigned parts


@pytest.mark.parametrize("extra, message", [
    (["--cluster", "99"], "not one of the mined clusters"),
    (["--cluster", "1", "-k", "500"], "give -k of at most"),
    (["--cluster", "1", "-k", "1"], "at least 2 clusters"),
])
def test_split_errors_exit_2_without_writing(mined, capsys, extra, message):
    before = {p.name: p.read_bytes() for p in mined.iterdir() if p.is_file()}
    assert main(["zh", "split", str(mined), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in mined.iterdir() if p.is_file()} == before


def test_split_refuses_a_folder_zh_mine_did_not_write(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    assert main(["zh", "split", str(tmp_path / "mine"), "--cluster", "1"]) == 2
    assert "not a folder zh mine wrote" in capsys.readouterr().err
