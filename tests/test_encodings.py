"""Which encoding a report file is read in: a UTF-8 file with stray bytes stays UTF-8 with the bytes counted,
GBK/GB18030 and UTF-16 are recognised, and a Windows-1252 or Latin-1 file is refused with a message naming
--encoding rather than read as garbage. Both readers (whole and chunked) must agree on every file."""
import pandas as pd
import pytest

from cxrlabel.tables import ChunkedTable
from cxrlabel.errors import UserError
from cxrlabel.tables import read_table

ROWS = 200
REPORT = "Patient{}s café: 两肺纹理增多，心影增大 (report {})"


def stray_utf8(bad_rows: set[int]) -> tuple[bytes, list[str]]:
    """A UTF-8 file whose rows in `bad_rows` hold a Windows-1252 apostrophe (one byte, \\x92) instead of '."""
    data, expected = b"id,report\n", []
    for i in range(ROWS):
        text = REPORT.format("\x00", i)
        data += f'{i},"'.encode() + text.encode("utf-8").replace(b"\x00", b"\x92" if i in bad_rows else b"'") + b'"\n'
        expected.append(text.replace("\x00", "\ufffd" if i in bad_rows else "'"))
    return data, expected


def one_percent() -> set[int]:
    """Rows, spread evenly, that make 1% of the file's bytes stray ones."""
    count = -(-len(stray_utf8(set())[0]) // 100)
    return {i * ROWS // count for i in range(count)}


def both(path, **kw):
    """(frame, encoding, replaced chars, replaced rows, header) from each reader; they must be equal."""
    whole = read_table(path, **kw)
    chunked = ChunkedTable(path, chunk_size=7, **kw)
    frames = [c.frame for c in chunked.chunks(chunked.columns)]
    got = (pd.concat(frames, ignore_index=True), chunked.layout.encoding, chunked.replaced_chars,
           chunked.replaced_rows, chunked.layout.header)
    pd.testing.assert_frame_equal(got[0], whole.frame)
    assert got[1:] == (whole.encoding, whole.replaced_chars, whole.replaced_rows, whole.header)
    return whole


@pytest.mark.parametrize("bad_rows", [{0}, set(range(0, 100, 10)), one_percent()], ids=["1", "10", "1%"])
def test_utf8_with_stray_bytes_stays_utf8_and_counts_them(tmp_path, bad_rows):
    data, expected = stray_utf8(bad_rows)
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    table = both(path)
    assert table.encoding == "utf-8"
    assert (table.replaced_chars, table.replaced_rows) == (len(bad_rows), len(bad_rows))
    assert table.frame["report"].tolist() == expected  # accents and Chinese intact, the stray byte is U+FFFD


def test_the_issue_example_one_stray_byte_in_a_short_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes('id,report\n1,"Patient\x92s café: 两肺纹理增多"\n2,"No edema."\n'.encode("utf-8").replace(b"\xc2\x92", b"\x92"))
    table = both(path)
    assert table.encoding == "utf-8" and table.replaced_chars == 1
    assert table.frame["report"].tolist() == ["Patient\ufffds café: 两肺纹理增多", "No edema."]


CHINESE = ["两肺纹理增多，心影增大", "右下肺类圆形结节（约 1.2cm），建议复查", "未见明显异常。", "ID 与 CT 一致"]


@pytest.mark.parametrize("codec, rows", [
    ("gbk", CHINESE),
    ("gb18030", CHINESE + ["罕见字𠀀与㐀", "欧元 €"]),  # four-byte GB18030 characters outside GBK
    ("utf-16", CHINESE + ["Épanchement pleural"]),  # with a BOM
    ("utf-16-le", CHINESE + ["Épanchement pleural"]),
    ("utf-16-be", CHINESE + ["Épanchement pleural"]),
    ("utf-16-le", ["No edema.", "Small effusion, left."]),
    ("utf-16-be", ["No edema.", "Small effusion, left."]),
])
def test_chinese_and_utf16_files_are_recognised(tmp_path, codec, rows):
    path = tmp_path / "zh.csv"
    frame = pd.DataFrame({"id": [str(i) for i in range(len(rows))] * 3, "诊断": rows * 3})
    path.write_bytes(frame.to_csv(index=False).encode(codec))
    table = both(path)
    assert table.replaced_chars == 0
    assert table.frame["诊断"].tolist() == rows * 3
    assert table.encoding == {"gbk": "gb18030"}.get(codec, codec)


WESTERN = ["Épanchement pleural à droite, opacité élargie", "Cœur de taille normale", "Pas d’épanchement"]


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_single_byte_files_are_refused_with_the_option_to_name_them(tmp_path, codec):
    rows = [r.replace("œ", "oe").replace("’", "'") if codec == "latin-1" else r for r in WESTERN] * 3
    path = tmp_path / "fr.csv"
    path.write_bytes(pd.DataFrame({"id": range(len(rows)), "text": rows}).to_csv(index=False).encode(codec))
    for read in (read_table, ChunkedTable):
        with pytest.raises(UserError, match="with encoding, e.g. cp1252"):
            read(path)
    assert both(path, encoding=codec).frame["text"].tolist() == rows


def test_a_single_byte_file_with_one_accent_reads_as_utf8_with_the_byte_counted(tmp_path):
    path = tmp_path / "en.csv"
    path.write_bytes(("text\n" + "No effusion.\n" * 30 + "Café au lait spots.\n").encode("cp1252"))
    table = both(path)
    assert (table.encoding, table.replaced_chars, table.replaced_rows) == ("utf-8", 1, 1)
    assert table.frame["text"].tolist()[-1] == "Caf\ufffd au lait spots."


def test_a_utf8_block_boundary_inside_a_character_costs_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("cxrlabel.tables.PROBE_BYTES", 30)
    path = tmp_path / "zh.csv"
    path.write_bytes(("诊断\n" + "两肺纹理增多\n" * 20).encode("utf-8"))  # the first block ends mid-character
    table = both(path)
    assert (table.encoding, table.replaced_chars) == ("utf-8", 0)
    assert table.frame["诊断"].tolist() == ["两肺纹理增多"] * 20


def test_nul_bytes_that_are_not_utf16_are_refused(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"text\n\x00\x01\x02\x03 binary")
    with pytest.raises(UserError, match="NUL bytes.*with encoding"):
        read_table(path)
