"""Random CSV and TSV tables (odd quoting, empty cells, NULs, random bytes, random encodings) through
`extract --parser none`: every row comes out once and in order, or the run stops with one line and exit 2;
never a traceback."""
from __future__ import annotations

import csv
import io
import tempfile
from contextlib import redirect_stderr
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxrlabel.cli import main

CELL = st.lists(st.sampled_from(list('ab é两肺,;"\'\t\n\r\x00\\') + ["No edema.", "心影增大"]), max_size=8).map("".join)
QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
STRAY = "\x07"  # where random bytes go: inside a report, in an 8-bit encoding, never a quote, separator or line break
RANDOM = st.binary(min_size=1, max_size=4).filter(lambda b: not set(b) & set(b'",\t\r\n' + STRAY.encode()))


@st.composite
def tables(draw) -> tuple[bytes, str, int]:
    """(file bytes, suffix, rows written)."""
    sep, suffix = draw(st.sampled_from([(",", ".csv"), ("\t", ".tsv")]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "cp1252"]))
    rows = draw(st.lists(CELL, max_size=8))
    if rows and encoding in ("utf-8", "gb18030", "cp1252") and draw(st.booleans()):
        at = draw(st.integers(0, len(rows) - 1))
        rows[at] += STRAY
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO()
    quoting = draw(QUOTING)
    if quoting == csv.QUOTE_MINIMAL and any("\r" in text for text in rows):
        quoting = csv.QUOTE_ALL  # Python's writer leaves a lone CR unquoted, which any reader takes as a line break
    writer = csv.writer(buffer, delimiter=sep, quoting=quoting, lineterminator=terminator)
    writer.writerow(["id", "report"])
    writer.writerows([[f"r{i}", text] for i, text in enumerate(rows)])
    data = buffer.getvalue().encode(encoding, errors="replace").replace(STRAY.encode(), draw(RANDOM))
    return data, suffix, len(rows)


def run_extract(source: Path, out: Path) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(["extract", str(source), "--parser", "none", "-o", str(out), "--id-column", "id", "--workers", "1", "-q"])
    return code, err.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_every_row_comes_out_once_in_order_or_one_line_and_exit_2(table):
    data, suffix, n_rows = table
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / f"in{suffix}", Path(tmp) / "out.csv"
        source.write_bytes(data)
        code, message = run_extract(source, out)
        assert "Traceback" not in message
        if code == 2:
            assert message.count("\n") == 1 and message.startswith("cxrlabel: error: "), message
            return
        assert code == 0, message
        ids = pd.read_csv(out, dtype=str, keep_default_na=False)["id"].tolist()
        assert ids == [f"r{i}" for i in range(n_rows)], message


def test_a_report_holding_a_carriage_return_comes_out_as_one_row(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b'id,report\r\nr0,"a\ra"\r\nr1,b\r\n')
    assert run_extract(source, tmp_path / "out.csv")[0] == 0
    assert pd.read_csv(tmp_path / "out.csv", dtype=str)["id"].tolist() == ["r0", "r1"]
