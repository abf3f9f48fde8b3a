"""cxrlabel sample: a reproducible stratified draw whose inclusion probabilities are exact, so 1/p weights
give unbiased archive totals, with and without the least sure reports."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.errors import UserError
from cxrlabel.review.sample import LabelTable, allocate, draw_sample, least_sure

OBSERVATIONS = ["Cardiomegaly", "Edema", "Pneumothorax"]


def archive(n: int = 300, seed: int = 1) -> pd.DataFrame:
    """An extract-style labels table: rare positives, some -1.0, mostly blank."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "Reports": ["text"] * n})
    for obs, p in zip(OBSERVATIONS, (0.2, 0.08, 0.02)):
        frame[obs] = rng.choice(["1.0", "0.0", "-1.0", ""], size=n, p=[p, 0.3, 0.03, 0.67 - p])
    return frame


def test_allocation_gives_exactly_n_within_each_stratum_size():
    sizes = np.array([3, 40, 500, 1, 12])
    for total in (5, 20, 100, 556):
        counts = allocate(sizes, total, 0.5)
        assert counts.sum() == total and (counts <= sizes).all() and (counts >= 1).all()
    counts = allocate(sizes, 100, 0.5)
    assert counts[0] == 3 and counts[3] == 1  # small strata drawn whole
    assert counts[2] / 500 < counts[4] / 12  # a rare stratum at a higher rate than a common one


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    table = LabelTable.from_frame(archive(), "labels.csv")
    first, again, other = (draw_sample(table, 40, seed) for seed in (3, 3, 4))
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert set(first.frame["id"]) != set(other.frame["id"])
    assert len(first.frame) == 40 and first.frame["id"].is_unique


@pytest.mark.parametrize("uncertain", [False, True])
def test_inclusion_probabilities_are_exact_and_weights_give_unbiased_totals(uncertain):
    """Over many draws each report is drawn as often as its recorded probability says, and the weighted total of
    a quantity the sample does not stratify on (an invented gold positive) averages to the archive's."""
    frame = archive()
    table = LabelTable.from_frame(frame, "labels.csv")
    cells, reports = least_sure(table) if uncertain else (None, None)
    rng = np.random.default_rng(0)
    truth = rng.random(len(frame)) < np.where(table.classes[:, 1] == 0, 0.9, 0.05)  # Edema as a reviewer sees it
    draws, hits, totals = 250, np.zeros(len(frame)), []
    probability = None
    for seed in range(draws):
        drawn = draw_sample(table, 60, seed, least_sure_cells=cells, least_sure_reports=reports)
        rows = drawn.frame["id"].str[1:].astype(int).to_numpy()
        p = drawn.frame["inclusion_probability"].to_numpy()
        assert len(rows) == 60
        hits[rows] += 1
        known = np.full(len(frame), np.nan)
        known[rows] = p
        probability = known if probability is None else np.where(np.isnan(probability), known, probability)
        assert np.allclose(probability[rows], p)  # a report's probability does not depend on the draw
        totals.append((truth[rows] / p).sum())
    assert not np.isnan(probability).any()
    assert probability.sum() == pytest.approx(60)
    spread = np.sqrt(probability * (1 - probability) / draws) + 1e-9
    assert (np.abs(hits / draws - probability) <= 5 * spread).all()
    assert abs(np.mean(totals) - truth.sum()) < 4 * np.std(totals) / np.sqrt(draws)
    if uncertain:
        flagged = drawn.frame["reason"] == "uncertain"
        assert flagged.sum() == 15  # a quarter of -n
        plain = draw_sample(table, 60, 0).frame.set_index("id")["inclusion_probability"]
        ids = [i for i in table.ids if reports[table.ids.index(i)]]
        assert np.mean([probability[table.ids.index(i)] for i in ids]) > plain.reindex(ids).fillna(0).mean()


def test_rare_positives_get_reviewed_positives():
    table = LabelTable.from_frame(archive(2000), "labels.csv")
    drawn = draw_sample(table, 100, 0).frame
    share_in_sample = (drawn["Pneumothorax"] == "1.0").mean()
    share_in_archive = (table.classes[:, 2] == 0).mean()
    assert share_in_sample > 2 * share_in_archive


def test_least_sure_reads_mentions_and_a_second_labelling(tmp_path):
    frame = archive(20)
    frame.loc[:, "Edema"] = "1.0"
    table = LabelTable.from_frame(frame, "labels.csv")
    mentions = tmp_path / "m.jsonl"
    mentions.write_text(json.dumps({"report": "r3", "observation": "Edema", "label": -1.0, "rule": "u1"}) + "\n"
                        + json.dumps({"report": "r4", "observation": "Edema", "label": 1.0, "rule": None}) + "\n")
    other = frame.copy()
    other.loc[7, "Cardiomegaly"] = "1.0" if frame.loc[7, "Cardiomegaly"] != "1.0" else ""
    cells, reports = least_sure(table, mentions, LabelTable.from_frame(other, "b.csv"))
    assert cells[3, 1] and not cells[4, 1] and cells[7, 0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"report": "nobody", "observation": "Edema", "label": -1.0}) + "\n")
    with pytest.raises(UserError, match="line 1: report 'nobody' is not in the labels"):
        least_sure(table, bad)


def test_zh_label_output_is_sampled_and_unplaced_clauses_count_as_least_sure(tmp_path, capsys):
    frame = pd.DataFrame({"id": [str(i) for i in range(1, 31)], "诊断": ["文本"] * 30,
                          "Cardiomegaly": ["1.0"] * 5 + [""] * 25, "肺纹理增多": ["1.0", "-1.0"] * 15,
                          "No Finding": [""] * 30, "n_labels": ["1"] * 30, "single_label": [""] * 30,
                          "unassigned": ["0"] * 28 + ["2", "1"]})
    table = LabelTable.from_frame(frame, "zh.csv")
    assert table.language == "zh" and table.observations == ["Cardiomegaly", "肺纹理增多", "No Finding"]
    _, reports = least_sure(table)
    assert reports[28] and reports[29] and reports[1] and not reports[0]
    labels = tmp_path / "zh.csv"
    frame.to_csv(labels, index=False)
    assert main(["sample", str(labels), "-n", "12", "-o", str(tmp_path / "s"), "--uncertain"]) == 0
    meta = json.loads((tmp_path / "s" / "sample.json").read_text(encoding="utf-8"))
    assert meta["language"] == "zh" and meta["id_column"] == "id" and meta["n"] == 12


def test_cli_writes_the_contract_files_and_the_same_seed_the_same_bytes(tmp_path, capsys):
    frame = archive(80)
    frame["Reports"] = "SECRET-REPORT-TEXT"
    labels = tmp_path / "labels.csv"
    frame.to_csv(labels, index=False)
    for out in ("a", "b"):
        assert main(["sample", str(labels), "-n", "20", "-o", str(tmp_path / out), "--seed", "5"]) == 0
    a, b = (tmp_path / out / "sample.csv" for out in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    sample = pd.read_csv(a, dtype=str, keep_default_na=False)
    assert list(sample.columns) == ["id", "inclusion_probability", "reason", "focus", *OBSERVATIONS]
    original = frame.set_index("id")
    assert (sample.set_index("id")[OBSERVATIONS] == original.loc[sample["id"], OBSERVATIONS]).all().all()
    meta = json.loads((tmp_path / "a" / "sample.json").read_text())
    assert meta["population"] == 80 and meta["n"] == 20 and meta["seed"] == 5 and len(meta["labels_sha256"]) == 64
    assert meta["options"]["allocation"] == "sqrt" and meta["observations"] == OBSERVATIONS
    assert (tmp_path / "a" / ".cxrlabel-output").is_file()
    out = capsys.readouterr()
    assert "SECRET" not in out.out + out.err
    assert "SECRET" not in a.read_text() + (tmp_path / "a" / "sample.json").read_text()
    # the folder holds a sample a reviewer may be working on: another draw into it is refused
    assert main(["sample", str(labels), "-n", "20", "-o", str(tmp_path / "a"), "--seed", "6"]) == 2
    assert "holds a sample drawn from other labels or with other options" in capsys.readouterr().err


def test_labels_without_ids_are_named_by_row(tmp_path, capsys):
    frame = archive(30).drop(columns="id")
    labels = tmp_path / "labels.csv"
    frame.to_csv(labels, index=False)
    assert main(["sample", str(labels), "-n", "10", "-o", str(tmp_path / "s")]) == 0
    sample = pd.read_csv(tmp_path / "s" / "sample.csv", dtype=str, keep_default_na=False)
    assert sample.columns[0] == "row" and sample["row"].astype(int).between(1, 30).all()
    chosen = sample["row"].astype(int) - 1  # the row numbers the review page finds the report text by
    assert (sample["Edema"].to_numpy() == frame["Edema"].iloc[chosen].to_numpy()).all()
    assert json.loads((tmp_path / "s" / "sample.json").read_text())["row_ids"] is True


def test_help_teaches_the_whole_loop(capsys):
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    text = capsys.readouterr().out
    for step in ("cxrlabel extract", "cxrlabel sample", "cxrlabel review", "cxrlabel evaluate labels.csv reviewed.csv --sample"):
        assert step in text


def test_mentions_of_labels_without_ids_name_reports_by_row_from_0(tmp_path):
    """extract without --id-column names a report in the mentions file by its row from 0; the sample from 1."""
    frame = archive(5).drop(columns="id")
    frame.loc[0, "Edema"] = "1.0"  # positive in the end: only the mention says the labeler hedged
    table = LabelTable.from_frame(frame, "labels.csv")
    mentions = tmp_path / "m.jsonl"
    mentions.write_text(json.dumps({"report": 0, "observation": "Edema", "label": -1.0, "rule": "u1"}) + "\n")
    cells, _ = least_sure(table, mentions)
    assert table.ids[0] == "1" and cells[0, 1]


def test_zh_clause_parts_near_max_distance_count_as_least_sure(tmp_path, capsys):
    """With the label map zh label ran with, a report whose clause part lies within --near of --max-distance is
    least sure; a margin of 1 takes every report with a finding part, a margin of 0 adds (almost) none."""
    from cxrlabel.cli.sample import _reviewed_clusters  # the command's own loader
    from tests.conftest import ROOT

    reports = tmp_path / "reports.csv"
    pd.read_csv(ROOT / "corpora" / "zh" / "reports.csv", dtype=str).head(50).to_csv(reports, index=False)
    assert main(["zh", "mine", str(reports), "-k", "4", "--out", str(tmp_path / "mined")]) == 0
    label_map = tmp_path / "mined" / "label_map.csv"
    assert main(["zh", "label", str(reports), "--label-map", str(label_map), "-o", str(tmp_path / "l.csv")]) == 0
    table = LabelTable.from_frame(pd.read_csv(tmp_path / "l.csv", dtype=str, keep_default_na=False), "l.csv")
    labeler = _reviewed_clusters(type("Args", (), {"label_map": label_map, "model": None, "clause_overrides": None,
                                            "max_distance": 0.5})())
    base = least_sure(table)[1]
    everything = least_sure(table, near=(labeler, 1.0))[1]
    some = least_sure(table, near=(labeler, 0.1))[1]
    assert (base <= some).all() and (some <= everything).all() and base.sum() < some.sum() < everything.sum()
    assert main(["sample", str(tmp_path / "l.csv"), "-n", "20", "-o", str(tmp_path / "s"), "--uncertain",
                 "--label-map", str(label_map)]) == 0
    meta = json.loads((tmp_path / "s" / "sample.json").read_text(encoding="utf-8"))
    assert meta["options"]["near"] == 0.05 and meta["options"]["label_map"] == str(label_map)


@pytest.mark.parametrize("extra, message", [
    (["--mentions", "m.jsonl"], "--mentions, --compare and --label-map find the least sure reports; give --uncertain"),
    (["-n", "0"], "-n must be at least 1"),
    (["--uncertain", "--uncertain-share", "1.5"], "--uncertain-share must lie between 0 and 1"),
    (["-o", "mine"], "this folder holds files that cxrlabel did not write"),
])
def test_sample_refuses_in_one_line(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    archive(30).to_csv("labels.csv", index=False)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's\n")
    assert main(["sample", "labels.csv", "-o", "out", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "mine" / "notes.txt").read_text() == "the user's\n"
