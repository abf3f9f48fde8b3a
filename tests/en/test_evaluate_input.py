"""What `cxrlabel evaluate` reads: Parquet scores as the same table in CSV (blanks are NaN there, ids may be
numbers), a gold file with no rows is an error, and a cell of text is never quoted without --log-text."""
import json

import pandas as pd
import pytest

from cxrlabel.cli import main

SECRET = "Patient Zed has a left effusion"


def scores(capsys, *args):
    code = main(["evaluate", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def tables(tmp_path):
    gold = pd.DataFrame({"id": [1, 2, 3, 4], "Edema": [1.0, 0.0, -1.0, None], "Atelectasis": [None, None, 1.0, 0.0]})
    pred = pd.DataFrame({"id": [4, 3, 2, 1], "Reports": ["a", "b", "", None], "Edema": [None, -1.0, 1.0, 1.0],
                         "Atelectasis": [0.0, 1.0, None, None]})
    paths = {}
    for name, frame in (("gold", gold), ("pred", pred)):
        paths[f"{name}.csv"] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[f"{name}.csv"], index=False)
        paths[f"{name}.parquet"] = tmp_path / f"{name}.parquet"
        frame.to_parquet(paths[f"{name}.parquet"], index=False)
    return paths


def test_parquet_and_csv_of_one_table_score_the_same(tables, capsys):
    expected = scores(capsys, tables["pred.csv"], tables["gold.csv"], "--id-column", "id")
    assert expected["observations"]["Edema"]["mention"]["f1"] == 1.0
    for pred in ("pred.csv", "pred.parquet"):
        for gold in ("gold.csv", "gold.parquet"):
            assert scores(capsys, tables[pred], tables[gold], "--id-column", "id") == expected, (pred, gold)


def test_integer_ids_in_parquet_match_text_ids_in_csv(tmp_path, capsys):
    pd.DataFrame({"id": [10, 20], "Edema": [1.0, None]}).to_parquet(tmp_path / "pred.parquet", index=False)
    (tmp_path / "gold.csv").write_text("id,Edema\n20,\n10,1.0\n")
    result = scores(capsys, tmp_path / "pred.parquet", tmp_path / "gold.csv", "--id-column", "id")
    assert result["reports"] == 2 and result["observations"]["Edema"]["positive"]["tp"] == 1


def test_extracts_own_parquet_output_evaluates(tmp_path, capsys):
    source = tmp_path / "r.csv"
    pd.DataFrame({"id": ["a", "b"], "report": ["Small left effusion.", "No edema."]}).to_csv(source, index=False)
    out = tmp_path / "labels.parquet"
    assert main(["extract", str(source), "--id-column", "id", "-o", str(out), "--parser", "none", "-q"]) == 0
    result = scores(capsys, out, out, "--id-column", "id")
    assert result["observations"]["Pleural Effusion"]["positive"]["f1"] == 1.0


def test_a_gold_file_with_a_header_only_is_an_error(tables, tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("id,Edema\n")
    assert main(["evaluate", str(tables["pred.csv"]), str(empty), "--id-column", "id"]) == 2
    assert "no rows to score against" in capsys.readouterr().err


def test_a_label_cell_holding_text_is_not_quoted_without_log_text(tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"Edema": [1.0, None], "Findings": ["", SECRET]}).to_csv(gold, index=False)
    pred = tmp_path / "pred.csv"
    pd.DataFrame({"Edema": [1.0, None], "Findings": [1.0, None]}).to_csv(pred, index=False)
    assert main(["evaluate", str(pred), str(gold), "--observations", "Findings"]) == 2
    err = capsys.readouterr().err
    assert SECRET not in err and "row 3, column 'Findings'" in err and "--log-text" in err
    assert main(["evaluate", str(pred), str(gold), "--observations", "Findings", "--log-text"]) == 2
    assert SECRET in capsys.readouterr().err
