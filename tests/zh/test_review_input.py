"""What zh mine, zh label and zh split take as input and say about it: the reviewer's files (label map,
clause overrides) in a wrong encoding, separator or shape, override labels and clauses that do nothing, a
deleted map line, a text or id column that is no such column, --k-range beyond the clauses, and the common
options -q, --log-text and --encoding of every command."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.cli import main

REPORTS = pd.DataFrame({"id": ["1", "2", "3", "4", "5", "6"],
                        "诊断": ["心影增大", "主动脉硬化", "右侧胸腔积液", "心影增大，主动脉硬化", "两肺纹理增多", "左侧胸腔积液"]})


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    REPORTS.to_csv(root / "r.csv", index=False)
    assert main(["zh", "mine", str(root / "r.csv"), "-k", "3", "--out", str(root / "m")]) == 0
    return root


def label(root, capsys, *extra, label_map=None):
    code = main(["zh", "label", str(root / "r.csv"), "--label-map", str(label_map or root / "m" / "label_map.csv"),
                 "-o", str(root / "out.csv"), *map(str, extra)])
    out, err = capsys.readouterr()
    return code, out, err


def test_quiet_prints_no_counts_and_every_command_has_the_common_options(mined, capsys):
    code, out, err = label(mined, capsys, "-q")
    assert code == 0 and out == "" and err == ""
    from cxrlabel.cli import build_parser
    for command in (["zh", "mine", "r.csv", "--out", "m"], ["zh", "label", "r.csv", "--label-map", "x", "-o", "o"],
                    ["zh", "split", "m", "--cluster", "1"], ["extract", "r.csv"]):
        args = build_parser().parse_args([*command, "-q", "--log-text", "--encoding", "gb18030"])
        assert args.quiet and args.log_text and args.encoding == "gb18030"


def test_a_deleted_label_map_line_is_refused_naming_its_cluster(mined, tmp_path, capsys):
    edited = pd.read_csv(mined / "m" / "label_map.csv")
    edited.iloc[1:].to_csv(mined / "m" / "short.csv", index=False)
    code, _, err = label(mined, capsys, label_map=mined / "m" / "short.csv")
    assert code == 2 and "no line for cluster_id 1 of model.json" in err and "write - as its label" in err
    assert edited["medoid"][0] not in err  # a medoid is report text: only with --log-text
    code, _, err = label(mined, capsys, "--log-text", label_map=mined / "m" / "short.csv")
    assert code == 2 and edited["medoid"][0] in err


def test_a_semicolon_label_map_is_described_as_such(mined, capsys):
    edited = pd.read_csv(mined / "m" / "label_map.csv")
    edited.to_csv(mined / "m" / "semi.csv", index=False, sep=";")
    code, _, err = label(mined, capsys, label_map=mined / "m" / "semi.csv")
    assert code == 2 and "separated by ';', not commas" in err and "cluster_id, label, medoid" in err


def test_a_one_column_overrides_file_is_described_with_its_own_column(mined, tmp_path, capsys):
    overrides = mined / "one.csv"
    overrides.write_text("clause\n心影增大\n", encoding="utf-8")
    code, _, err = label(mined, capsys, "--clause-overrides", overrides)
    assert code == 2 and "missing column(s) label" in err and "the columns are: 'clause'" in err
    assert "Reports" not in err


def test_an_overrides_file_in_an_unknown_encoding_is_not_told_to_use_encoding(mined, capsys):
    overrides = mined / "latin.csv"
    overrides.write_bytes("clause,label\n".encode() + "c\xe9ur \xe9largi,Cardiomegaly\n".encode("latin-1") * 50)
    code, _, err = label(mined, capsys, "--clause-overrides", overrides)
    assert code == 2 and "save it as UTF-8" in err and "--encoding" not in err


def test_a_typo_in_an_override_label_and_an_override_that_matches_nothing_are_warned(mined, capsys):
    overrides = mined / "typo.csv"
    overrides.write_text("clause,label\n心影增大,Cardiomegally\n肺门影增浓,Cardiomegaly\n", encoding="utf-8")
    code, _, err = label(mined, capsys, "--clause-overrides", overrides)
    assert code == 0, err
    assert "label 'Cardiomegally' is no label of the label map" in err and "did you mean 'Cardiomegaly'" in err
    assert "1 of 2 clause overrides matched no clause part (line 3)" in err
    assert "肺门影增浓" not in err


def test_an_id_column_that_is_the_text_column_is_refused(mined, capsys):
    code, _, err = label(mined, capsys, "--column", "诊断", "--id-column", "诊断")
    assert code == 2 and "--id-column '诊断' is the column of reports" in err and "cannot insert" not in err
    code = main(["zh", "mine", str(mined / "r.csv"), "--id-column", "诊断", "--out", str(mined / "m2")])
    assert code == 2


def test_a_numeric_text_column_is_refused(mined, capsys):
    code, _, err = label(mined, capsys, "--column", "id")
    assert code == 2 and "column 'id' holds only numbers, not report text" in err and "--column" in err
    code = main(["zh", "mine", str(mined / "r.csv"), "--column", "id", "--out", str(mined / "m3")])
    assert code == 2 and "holds only numbers" in capsys.readouterr().err


def test_k_range_beyond_the_distinct_clauses_is_cut(tmp_path, capsys):
    REPORTS.head(3).to_csv(tmp_path / "few.csv", index=False)
    assert main(["zh", "mine", str(tmp_path / "few.csv"), "--k-range", "2:100", "--out", str(tmp_path / "m")]) == 0
    out, err = capsys.readouterr()
    assert "cut to 2:3" in err and "<- chosen" in out


def test_a_bytes_column_is_decoded_with_the_encoding(mined, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = mined / "bytes.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "诊断": pa.array([t.encode("gb18030") for t in ("心影增大", "主动脉硬化")],
                                                               type=pa.binary())}), path)
    out = mined / "bytes.csv"
    args = ["zh", "label", str(path), "--label-map", str(mined / "m" / "label_map.csv"), "-o", str(out), "-q"]
    assert main(args) == 2 and "--encoding" in capsys.readouterr().err  # GB18030 bytes are not UTF-8
    assert main([*args, "--encoding", "gb18030"]) == 0
    assert pd.read_csv(out)["诊断"].tolist() == ["心影增大", "主动脉硬化"]
