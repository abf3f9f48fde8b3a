"""`cxrlabel extract` and `cxrlabel zh label` write their output through one archive driver
(`cxrlabel.archive.write`), so what it says about a run is said alike by both: the resume note (left out
with -q) and the warning about repeated ids, counted the same way."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main
from tests.conftest import ROOT

ZH_REPORTS = ROOT / "corpora" / "zh" / "reports.csv"
EN_REPORTS = ROOT / "corpora" / "en" / "reports.csv"
REPEATED = ["a", "b", "a", "c", "d", "d", "e", "a"]  # 2 ids repeated, in 5 rows


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("driver") / "mined"
    frame = pd.read_csv(ZH_REPORTS, dtype=str, keep_default_na=False).head(60)
    frame.to_csv(out.parent / "reports.csv", index=False)
    assert main(["zh", "mine", str(out.parent / "reports.csv"), "--column", "诊断", "-k", "4", "--out", str(out),
                 "-q"]) == 0
    return out


def _zh_input(folder: Path) -> Path:
    frame = pd.read_csv(ZH_REPORTS, dtype=str, keep_default_na=False).head(len(REPEATED))
    path = folder / "zh.csv"
    pd.DataFrame({"study": REPEATED, "诊断": frame["诊断"]}).to_csv(path, index=False)
    return path


def _en_input(folder: Path) -> Path:
    frame = pd.read_csv(EN_REPORTS, keep_default_na=False).head(len(REPEATED))
    path = folder / "en.csv"
    pd.DataFrame({"study": REPEATED, "report": frame["report"]}).to_csv(path, index=False)
    return path


def _commands(mined: Path, folder: Path) -> dict[str, list[str]]:
    """Each command labelling an input of the ids above into folder/<language>_labels.csv, in chunks of 3 rows."""
    return {"extract": ["extract", str(_en_input(folder)), "--id-column", "study", "--parser", "none",
                        "-o", str(folder / "en_labels.csv"), "--chunk-size", "3", "--workers", "1"],
            "zh label": ["zh", "label", str(_zh_input(folder)), "--id-column", "study", "--label-map",
                         str(mined / "label_map.csv"), "-o", str(folder / "zh_labels.csv"), "--chunk-size", "3",
                         "--workers", "1"]}


COMMANDS = ("extract", "zh label")


@pytest.mark.parametrize("command", COMMANDS)
def test_repeated_ids_are_counted_and_worded_alike(command, mined, tmp_path, capsys):
    assert main(_commands(mined, tmp_path)[command] + ["-q"]) == 0
    assert capsys.readouterr().err.strip() == (
        "cxrlabel: warning: 2 ids in column 'study' appear more than once (5 rows); every row is kept, in input "
        "order, and `cxrlabel evaluate` refuses duplicate ids, so make them unique before scoring")


@pytest.mark.parametrize("command", COMMANDS)
def test_the_resume_note_is_on_standard_error_and_left_out_with_quiet(command, mined, tmp_path, capsys):
    args = _commands(mined, tmp_path)[command]
    assert main(args + ["--keep-parts", "-q"]) == 0  # every part kept: a --resume finds them all done
    capsys.readouterr()
    assert main(args + ["--resume", "--keep-parts", "-q"]) == 0
    assert "resum" not in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0
    assert "cxrlabel: resuming: 8 rows in 3 parts are done" in capsys.readouterr().err


def test_zh_mine_counts_repeated_ids_as_zh_label_does(tmp_path, capsys):
    source = _zh_input(tmp_path)
    assert main(["zh", "mine", str(source), "--id-column", "study", "-k", "2", "--out", str(tmp_path / "m"), "-q"]) == 0
    assert "warning: 2 ids in column 'study' appear more than once (5 rows)" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_undecodable_bytes_are_counted_and_worded_alike(command, mined, tmp_path, capsys):
    args = _commands(mined, tmp_path)[command]
    source = Path(args[2] if command == "zh label" else args[1])
    lines = source.read_bytes().split(b"\n")
    lines[2] = lines[2] + b"\x92"  # a stray byte in the second report (the text column is the last)
    lines[4] = lines[4] + b"\x92"
    source.write_bytes(b"\n".join(lines))
    assert main(args + ["-q"]) == 0
    err = capsys.readouterr().err
    assert ("cxrlabel: warning: 2 undecodable bytes in 2 rows were replaced with U+FFFD; give --encoding to read "
            "them correctly") in err
