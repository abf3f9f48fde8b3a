"""Reading report tables: formats, column detection, encodings, and rows never dropped."""
import json

import pandas as pd
import pytest

from cxrlabel.errors import UserError
from cxrlabel.tabular import find_column, read_table


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


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="is a folder"):
        read_table(tmp_path)


def test_a_few_bad_bytes_are_replaced_and_counted(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"text\n" + b"Small effusion. " * 20 + b"Caf\xe9\n")
    table = read_table(path)
    assert table.replaced_chars == 1 and table.replaced_rows == 1
    assert "\ufffd" in table.frame["text"][0]


def test_mostly_undecodable_file_suggests_encoding(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(("text\n" + '"Épanchement pleural à droite, opacité élargie"\n' * 3).encode("cp1252"))
    with pytest.raises(UserError, match="--encoding"):
        read_table(path)
    assert "Épanchement" in read_table(path, encoding="cp1252").frame["text"][0]


def test_utf16_with_and_without_bom(tmp_path):
    for name, data in (("bom.csv", "text\nno edema\n".encode("utf-16")),
                       ("nobom.csv", "text\nno edema\n".encode("utf-16-le"))):
        path = tmp_path / name
        path.write_bytes(data)
        assert read_table(path).frame["text"].tolist() == ["no edema"]


def test_gb18030_is_detected(tmp_path):
    path = tmp_path / "zh.csv"
    path.write_bytes("id,诊断\n1,两肺纹理增多\n".encode("gb18030"))
    table = read_table(path)
    assert table.encoding == "gb18030" and table.frame["诊断"][0] == "两肺纹理增多"


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
    with pytest.raises(UserError, match="--column"):
        find_column(pd.DataFrame({"a": [1], "b": [2]}), None)
