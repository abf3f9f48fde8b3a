"""What `cxrlabel extract` takes as its text and id columns: a column that holds no report text (numbers,
bools) is refused, naming it, instead of labelling every number No Finding; bytes are decoded, not labelled as
their Python repr; an id column that is the report column is refused in one line."""
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxrlabel.cli import main


def extract(capsys, *args):
    code = main(["extract", *map(str, args), "--parser", "none", "-q"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_a_numeric_text_column_is_refused(tmp_path, capsys, suffix):
    frame = pd.DataFrame({"id": ["a", "b"], "report": [101, 102], "text2": ["No edema.", "Edema."]})
    path = tmp_path / f"r{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in frame.to_dict("records")))
    code, err = extract(capsys, path, "-o", tmp_path / "out.csv")
    assert code == 2 and not (tmp_path / "out.csv").exists()
    assert "column 'report' holds" in err and "not report text" in err and "--column" in err
    assert "Traceback" not in err
    assert extract(capsys, path, "--column", "text2", "-o", tmp_path / "out.csv")[0] == 0


def test_a_bytes_column_is_decoded_not_labelled_as_its_repr(tmp_path, capsys):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"report": pa.array(["Small left effusion.".encode(), None, "No edema.".encode()],
                                                type=pa.binary())}), path)
    code, err = extract(capsys, path, "-o", tmp_path / "out.csv")
    assert code == 0, err
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["Reports"].fillna("").tolist() == ["Small left effusion.", "", "No edema."]
    assert out["Pleural Effusion"].tolist()[0] == 1.0 and out["Edema"].tolist()[2] == 0.0


def test_bytes_in_another_encoding_ask_for_it(tmp_path, capsys):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"report": pa.array(["Épanchement pleural.".encode("cp1252")], type=pa.binary())}), path)
    code, err = extract(capsys, path, "-o", tmp_path / "out.csv")
    assert code == 2 and "row 1, column 'report'" in err and "--encoding" in err
    assert extract(capsys, path, "-o", tmp_path / "out.csv", "--encoding", "cp1252")[0] == 0
    assert pd.read_csv(tmp_path / "out.csv")["Reports"].tolist() == ["Épanchement pleural."]


def test_a_stray_number_in_a_json_text_column_is_named_by_row(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    path.write_text('{"report": "No edema."}\n{"report": 5}\n')
    code, err = extract(capsys, path, "-o", tmp_path / "out.csv")
    assert code == 2 and "column 'report' holds int values (row 2)" in err


@pytest.mark.parametrize("ids", ["report", "Reports"])
def test_an_id_column_that_is_the_text_column_or_the_outputs_is_refused(tmp_path, capsys, ids):
    path = tmp_path / "r.csv"
    pd.DataFrame({"report": ["No edema.", "Edema."], "Reports": ["x", "y"]}).to_csv(path, index=False)
    code, err = extract(capsys, path, "--column", "report", "--id-column", ids, "-o", tmp_path / "out.csv")
    assert code == 2 and f"--id-column {ids!r}" in err and "Traceback" not in err and "cannot insert" not in err


def test_reports_without_the_chosen_section_are_counted_across_chunks_workers_and_resume(tmp_path, capsys):
    path = tmp_path / "r.csv"
    reports = ["Small left effusion.", "IMPRESSION: Edema.", "", "No pneumothorax.", "FINDINGS: Clear.", "Cardiomegaly."]
    pd.DataFrame({"report": reports}).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    code, err = extract(capsys, path, "--sections", "impression", "--chunk-size", 2, "--workers", 2, "--keep-parts",
                        "-o", out)
    assert code == 0, err
    warning = ("4 of 6 reports have text but none in the sections chosen (--sections 'impression': no such "
               "header), so their rows are blank; --sections 'impression-or-all'")
    assert warning in err and len(err.strip().splitlines()) == 1
    manifest = tmp_path / "out.csv.parts" / "manifest.json"
    state = json.loads(manifest.read_text(encoding="utf-8"))
    state["parts"] = state["parts"][:1]  # as if stopped after the first chunk
    manifest.write_text(json.dumps(state), encoding="utf-8")
    code, err = extract(capsys, path, "--sections", "impression", "--resume", "-o", out)
    assert code == 0 and warning in err
    code, err = extract(capsys, path, "--sections", "impression-or-all", "-o", tmp_path / "all.csv")
    assert code == 0 and err == ""
