"""`cxrlabel review`: what it refuses (exit 2, one line, no traceback), what it warns about, and that it prints no
report text. No browser needed."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from cxrlabel.cli import main

from .browser_pages import english_sample, write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return english_sample(tmp_path_factory.mktemp("cli"), n=4)


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("cxrlabel: error: ") and "Traceback" not in err and err.count("\n") == 1
    return err


def test_a_folder_without_a_sample_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["review", str(tmp_path / "empty")]) == 2
    assert "no sample.csv; draw a sample into it first: cxrlabel sample" in _error(capsys)


def test_a_file_the_user_wrote_is_never_replaced(sample, tmp_path, capsys):
    folder, _ = sample
    theirs = tmp_path / "notes.html"
    theirs.write_text("my notes")
    assert main(["review", str(folder), "--parser", "none", "-o", str(theirs)]) == 2
    assert "is not a page `cxrlabel review` wrote, so it is never replaced; choose another --output" in _error(capsys)
    assert theirs.read_text() == "my notes"
    ours = tmp_path / "page.html"
    assert main(["review", str(folder), "--parser", "none", "-o", str(ours)]) == 0
    assert main(["review", str(folder), "--parser", "none", "-o", str(ours)]) == 0  # its own page: written again


def test_reports_that_lack_sampled_ids_are_refused(sample, tmp_path, capsys):
    folder, _ = sample
    other = tmp_path / "other.csv"
    pd.DataFrame({"id": ["en001", "zz"], "report": ["No effusion.", "Clear lungs."]}).to_csv(other, index=False)
    assert main(["review", str(folder), "--parser", "none", "--reports", str(other)]) == 2
    err = _error(capsys)
    assert "3 of the 4 sampled ids are not in column 'id' (the first: 'en002')" in err and "--reports" in err
    assert "effusion" not in err.lower()


def test_no_reports_file_named_anywhere_is_refused(sample, tmp_path, capsys):
    folder, _ = sample
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "sample.csv").write_bytes((folder / "sample.csv").read_bytes())
    meta = json.loads((folder / "sample.json").read_text())
    meta["reports"] = {"path": None}
    (copy / "sample.json").write_text(json.dumps(meta))
    assert main(["review", str(copy), "--parser", "none"]) == 2
    assert "names no reports file; give --reports" in _error(capsys)


def test_labels_the_explanations_do_not_match_are_counted(sample, tmp_path, capsys):
    folder, labels = sample
    copy = tmp_path / "changed"
    copy.mkdir()
    frame = pd.read_csv(folder / "sample.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "Edema"] = "1.0"  # not what the labeller says of en001
    frame.to_csv(copy / "sample.csv", index=False)
    (copy / "sample.json").write_bytes((folder / "sample.json").read_bytes())
    assert main(["review", str(copy), "--parser", "none"]) == 0
    assert "the labeller gives 1 of the 4 sampled reports other labels than the labels file" in capsys.readouterr().err


def test_report_text_cannot_close_the_data_block(sample, tmp_path):
    folder, labels = sample
    hostile = tmp_path / "hostile.csv"
    text = "No effusion. </script><script>alert(1)</script> <!-- \u2028 & done"
    pd.DataFrame({"id": labels["id"], "report": [text] * len(labels)}).to_csv(hostile, index=False)
    out = tmp_path / "hostile.html"
    assert main(["review", str(folder), "--parser", "none", "--reports", str(hostile), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # the data block's and the page script's own
    assert "<script>alert" not in page and "<!--" not in page and "\\u003c/script\\u003e" in page


def test_row_numbers_stand_for_ids_when_the_reports_have_none(sample, tmp_path):
    """zh label numbers the rows of a table without ids (column `row`, from 1): the page finds them the same way."""
    folder, labels = sample
    reports = pd.read_csv(folder.parent / "reports.csv", dtype=str)[["report"]]
    plain = tmp_path / "plain.csv"
    reports.iloc[::-1].reset_index(drop=True).to_csv(plain, index=False)  # reversed: row 4 is en001
    numbered = labels.rename(columns={"id": "row"}).assign(row=["4", "3", "2", "1"])
    observations = [c for c in labels.columns if c != "id"]
    review = write_sample(tmp_path / "numbered", numbered, "row", observations, [""] * 4, plain)
    assert main(["review", str(review), "--parser", "none"]) == 0
    html = (review / "review.html").read_text(encoding="utf-8")
    data = json.loads(html.split('<script type="application/json" id="data">')[1].split("</script>")[0])
    assert [r["id"] for r in data["reports"]] == ["4", "3", "2", "1"]
    assert [r["text"] for r in data["reports"]] == reports["report"].tolist()
