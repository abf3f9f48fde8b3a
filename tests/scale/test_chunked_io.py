"""Reading in chunks gives the same rows as reading the whole table, for every format and encoding."""
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxrlabel.tables import ChunkedTable
from cxrlabel.errors import UserError
from cxrlabel.tables import read_table


def chunked(path, chunk_size=2, **kw):
    table = ChunkedTable(path, chunk_size=chunk_size, **kw)
    chunks = list(table.chunks(table.columns))
    return table, chunks, pd.concat([c.frame for c in chunks], ignore_index=True)


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize("name, data, named", [
    ("quoted.csv", 'id,report\n1,"No edema."\n2,\n3,"  "\n4,"Line one\nline two"\n5,"a, b"\n', ()),
    ("impressions.csv", "No pneumothorax.\nCardiomegaly.\n\nSmall effusion.\n", ()),
    ("tabs.tsv", "id\treport\n1\tNo edema.\n2\tSmall effusion, left.\n3\tClear.\n", ()),
    ("zh.csv", "id,诊断\n1,两肺纹理增多\n2,心影增大\n3,未见异常\n".encode("gb18030"), ()),
    ("named.csv", "诊断描述\n两肺纹理增多\n心影增大\n未见异常\n", ("诊断描述",)),  # zh mine --column 诊断描述
    ("stray.csv", b"text\n" + b"Small effusion. " * 20 + b"Caf\xe9\nclear\n", ()),
    ("utf16.csv", "text\nno edema\nsmall effusion\nclear\n".encode("utf-16"), ()),
    ("bom.csv", "\ufefftext\nno edema\nclear\n".encode("utf-8"), ()),
    ("lines.jsonl", '{"id": 1, "text": "a"}\n\n{"id": 2}\n{"id": 3, "text": "c"}\n{"id": 4, "text": "d"}\n', ()),
    ("table.parquet", None, ()),
])
def test_chunks_add_up_to_the_whole_table(tmp_path, name, data, named):
    path = tmp_path / name
    if data is None:
        pd.DataFrame({"id": [1, 2, 3], "report": ["x", None, "z"]}).to_parquet(path)
    else:
        write(path, data)
    table, chunks, frame = chunked(path, named=named)
    whole = read_table(path, named=named)
    assert table.columns == [str(c) for c in whole.frame.columns]
    pd.testing.assert_frame_equal(frame, whole.frame)
    assert (table.layout.encoding, table.layout.header, table.replaced_chars, table.replaced_rows) == (
        whole.encoding, whole.header, whole.replaced_chars, whole.replaced_rows)
    assert [c.first_row for c in chunks] == [sum(len(c.frame) for c in chunks[:i]) for i in range(len(chunks))]
    assert table.count_rows() == (None if name == "utf16.csv" else len(whole.frame))  # UTF-16 is not counted


def test_a_named_one_column_header_is_a_header_for_both_readers(tmp_path):
    path = write(tmp_path / "zh.csv", "诊断描述\n两肺纹理增多\n心影增大\n")
    assert read_table(path, named=("诊断描述",)).frame.to_dict("list") == {"诊断描述": ["两肺纹理增多", "心影增大"]}
    assert read_table(path).frame["Reports"].tolist() == ["诊断描述", "两肺纹理增多", "心影增大"]


def test_a_header_only_file_is_an_empty_table_with_its_columns(tmp_path):
    path = write(tmp_path / "r.csv", "id,report\n")
    table = read_table(path)
    assert table.frame.columns.tolist() == ["id", "report"] and table.frame.empty


@pytest.mark.parametrize("header", [None, True, False])
def test_a_blank_first_line_is_not_called_an_empty_file(tmp_path, header):
    path = write(tmp_path / "r.csv", "\nreport\nx\n")
    for read in (read_table, ChunkedTable):
        with pytest.raises(UserError, match="the first line is blank"):
            read(path, header=header)


def test_parquet_reads_only_the_columns_asked_for_and_keeps_int_ids(tmp_path):
    path = tmp_path / "r.parquet"
    pd.DataFrame({"id": [1, 2, 3], "report": ["x", None, "z"], "other": [1, 2, 3]},
                 index=pd.Index([7, 8, 9], name="idx")).to_parquet(path)
    table = ChunkedTable(path, chunk_size=2)
    assert table.columns == ["id", "report", "other"]  # the stored pandas index is not a column
    assert table.count_rows() == 3
    chunks = list(table.chunks(["report", "id"]))
    assert [c.frame.columns.tolist() for c in chunks] == [["report", "id"]] * 2
    assert [c.frame["id"].tolist() for c in chunks] == [[1, 2], [3]]
    pq.write_table(pa.table({"id": pa.array([1, None, 3], pa.int64()), "report": ["x", "y", "z"]}), path)
    assert [c.frame["id"].tolist() for c in ChunkedTable(path, chunk_size=2).chunks(["id"])] == [[1, None], [3]]


def test_a_json_line_without_the_text_key_gives_a_blank(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"id": 1}\n{"id": 2}\n{"id": 3, "text": "c"}\n')
    table = ChunkedTable(path, chunk_size=2)
    frames = [c.frame for c in table.chunks(["text", "id"])]
    assert frames[0]["text"].isna().all() and frames[1]["text"].tolist() == ["c"]


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", "", "the file is empty"),
    ("cp1252.csv", ("text\n" + '"Épanchement pleural, opacité élargie"\n' * 3).encode("cp1252"), "with encoding"),
    ("nul.csv", b"text\n\x00\x01\x02\x03 binary", "NUL bytes.*with encoding"),
])
def test_unreadable_files_get_read_tables_messages(tmp_path, name, data, message):
    path = write(tmp_path / name, data)
    with pytest.raises(UserError, match=message):
        chunked(path)


def test_a_bad_json_line_past_the_first_chunk_is_named(tmp_path):
    lines = [json.dumps({"text": f"r{i}"}) for i in range(6)] + ['{"text": ']
    path = write(tmp_path / "r.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(UserError, match="line 7 is not valid JSON"):
        chunked(path)


def test_a_ragged_csv_row_past_the_first_chunk_is_reported(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\n" + "".join(f"{i},r{i}\n" for i in range(8)) + "9,d,extra\n")
    with pytest.raises(UserError, match="not a readable CSV.*quote fields"):
        chunked(path)


def test_a_folder_is_read_as_its_part_files_in_name_order(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    write(folder / "part-1.csv", "id,text\n3,c\n")
    write(folder / "part-0.csv", "id,text\n1,a\n2,b\n")
    write(folder / "_SUCCESS", "")
    write(folder / ".part-2.csv.crc", "x")
    table, chunks, frame = chunked(folder, chunk_size=10)
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert [(c.source.name, c.first_row) for c in chunks] == [("part-0.csv", 0), ("part-1.csv", 0)]
    assert table.count_rows() == 3 and len(table.identity()) == 2


@pytest.mark.parametrize("files, message", [
    ({}, "no report files"),
    ({"a.csv": "text\nx\n", "b.parquet": None}, "mixes csv and parquet"),
    ({"a.csv": "id,text\n1,x\n", "b.csv": "id,body\n2,y\n"}, "b.csv: no column 'text'"),
])
def test_folder_problems_are_explained(tmp_path, files, message):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in files.items():
        if text is None:
            pd.DataFrame({"text": ["x"]}).to_parquet(folder / name)
        else:
            write(folder / name, text)
    with pytest.raises(UserError, match=message):
        table = ChunkedTable(folder)
        list(table.chunks(["text"]))


def test_a_one_column_file_whose_first_line_is_the_named_column_has_a_header(tmp_path):
    path = write(tmp_path / "trees.csv", "trees\n(ROOT (NP (NN effusion)))\n")
    assert ChunkedTable(path).columns == ["Reports"]  # header-less, like the CheXpert labeler's input
    assert ChunkedTable(path, named=("trees",)).columns == ["trees"]  # extract --column trees
