"""Reading report tables: formats, column detection, and rows never dropped (encodings: tests/test_encodings.py)."""
import json

import pandas as pd
import pytest

from cxrlabel.errors import UserError
from cxrlabel.tables import find_column, read_table


def test_csv_with_header_keeps_blank_rows_in_order(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('id,report\n1,"No edema."\n2,\n3,"  "\n4,"Line one\nline two"\n', encoding="utf-8")
    table = read_table(path)
    assert table.frame["id"].tolist() == ["1", "2", "3", "4"]
    assert table.frame["report"].tolist() == ["No edema.", "", "  ", "Line one\nline two"]


def test_headerless_one_column_csv_is_detected(tmp_path):
    path = tmp_path / "impressions.csv"
    path.write_text("No pneumothorax.\nCardiomegaly.\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.columns.tolist() == ["Reports"]
    assert len(table.frame) == 2


def test_one_column_csv_with_known_header_is_not_headerless(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Reports\nNo pneumothorax.\n", encoding="utf-8")
    assert read_table(path).frame["Reports"].tolist() == ["No pneumothorax."]


def test_jsonl_and_parquet(tmp_path):
    jl = tmp_path / "r.jsonl"
    jl.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["a", "b"])) + "\n")
    assert read_table(jl).frame["text"].tolist() == ["a", "b"]
    pq = tmp_path / "r.parquet"
    pd.DataFrame({"report": ["x", None]}).to_parquet(pq)
    assert len(read_table(pq).frame) == 2


def test_bad_jsonl_names_the_line(tmp_path):
    jl = tmp_path / "r.jsonl"
    jl.write_text('{"text": "a"}\n{"text": \n')
    with pytest.raises(UserError, match="line 2"):
        read_table(jl)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="no report files in this folder"):
        read_table(tmp_path)


def test_a_folder_of_part_files_is_one_table(tmp_path):
    (tmp_path / "part-0.csv").write_text("id,report\n1,a\n")
    (tmp_path / "part-1.csv").write_text("id,report\n2,b\n")
    assert read_table(tmp_path).frame.to_dict("list") == {"id": ["1", "2"], "report": ["a", "b"]}


def test_unknown_encoding_name(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text\na\n")
    with pytest.raises(UserError, match="unknown encoding"):
        read_table(path, encoding="klingon")


def test_find_column_detects_and_lists():
    frame = pd.DataFrame({"study": [1], "Report Impression": ["x"]})
    assert find_column(frame, None) == "Report Impression"
    assert find_column(frame, "report impression") == "Report Impression"
    with pytest.raises(UserError, match="'study', 'Report Impression'"):
        find_column(frame, "text")
    with pytest.raises(UserError, match="name it with column;") as raised:  # the Python API's wording
        find_column(pd.DataFrame({"a": [1], "b": [2]}), None)
    assert "name it with --column;" in raised.value.worded({"column": "--column"})  # the command line's


def test_a_first_row_that_is_a_report_is_not_listed_as_column_names(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("p1,ZEBRASTRIPE has no effusion, really\np2,clear\n")
    frame = read_table(path).frame  # the first row is taken for a header: it has two cells
    for wanted in (None, "report"):
        with pytest.raises(UserError) as caught:
            find_column(frame, wanted, header_setting="no_header")  # as the commands with --no-header ask
        message = caught.value.worded({"no_header": "--no-header"})
        assert "ZEBRASTRIPE" not in message and "really" not in message and "p1" not in message
        assert "3 columns" in message and "--no-header" in message


@pytest.mark.parametrize("names, listed", [
    (["study_id", "Report Impression", "Unnamed: 2", "诊断描述"], True),
    (["id", "No acute disease."], False),  # a sentence
    (["p1", "Clear"], False),  # an id: as many digits as letters
    (["text", " right lung"], False),  # space-padded, as after a comma in running text
    (["text", "small left pleural effusion"], False),  # four words
])
def test_column_names_are_listed_only_when_all_look_like_names(names, listed):
    with pytest.raises(UserError) as caught:
        find_column(pd.DataFrame(columns=names), "nope")
    assert all(repr(n) in str(caught.value) for n in names) is listed
    assert any(repr(n) in str(caught.value) for n in names) is listed


@pytest.mark.parametrize("name, data, message", [
    ("quote.csv", 'id,text\n1,"ZEBRASTRIPE never closed\n2,b\n', "EOF inside string starting at row"),
    ("ragged.csv", "id,text\n" + "".join(f"{i},r{i}\n" for i in range(5)) + "9,ZEBRASTRIPE, more\n",
     "Expected 2 fields in line 7, saw 3"),
    ("string.jsonl", '{"text": "a"}\n"ZEBRASTRIPE"\n', "line 2 is not valid JSON"),
    ("list.jsonl", '{"text": "a"}\n["ZEBRASTRIPE"]\n', "line 2 is not valid JSON"),
    ("broken.jsonl", '{"text": "a"}\n{"text": "ZEBRASTRIPE\n', "line 2 is not valid JSON"),
])
def test_parser_messages_name_the_line_but_quote_nothing(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_text(data)
    with pytest.raises(UserError, match=message) as caught:
        read_table(path)
    assert "ZEBRASTRIPE" not in str(caught.value)
