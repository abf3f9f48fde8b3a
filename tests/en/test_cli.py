"""The command line: extract, explain and evaluate, end to end, including bad input."""
import json

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.en.lexicon import CHEXPERT


@pytest.fixture
def reports(tmp_path):
    path = tmp_path / "reports.csv"
    pd.DataFrame({"study": ["s3", "s1", "s2", "s4"],
                  "Report Impression": ["No pneumothorax.", "", "Large left effusion. Possible pneumonia.", "   "]}
                 ).to_csv(path, index=False)
    return path


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_writes_every_row_in_order(reports, tmp_path, capsys):
    out = tmp_path / "labels.csv"
    code, _, err = run(["extract", str(reports), "--id-column", "study", "-o", str(out), "--parser", "none"], capsys)
    assert code == 0, err
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == ["study", "Reports"] + list(CHEXPERT)
    assert frame["study"].tolist() == ["s3", "s1", "s2", "s4"]
    assert frame.loc[0, "Pneumothorax"] == 0.0 and frame.loc[0, "No Finding"] == 1.0
    assert frame.loc[1, list(CHEXPERT)].isna().all() and frame.loc[3, list(CHEXPERT)].isna().all()
    assert frame.loc[2, "Pleural Effusion"] == 1.0 and frame.loc[2, "Pneumonia"] == -1.0


def test_output_values_are_chexpert_style_text(reports, tmp_path, capsys):
    out = tmp_path / "labels.csv"
    run(["extract", str(reports), "-o", str(out), "--parser", "none", "-q"], capsys)
    row = out.read_text().splitlines()[1]
    assert row.startswith("No pneumothorax.,1.0,") and ",0.0," in row and "nan" not in row


def test_default_output_name_and_mentions_jsonl(reports, tmp_path, capsys):
    mentions = tmp_path / "m.jsonl"
    code, _, _ = run(["extract", str(reports), "--id-column", "study", "--mentions-out", str(mentions), "--parser", "none", "-q"], capsys)
    assert code == 0 and (tmp_path / "reports_labels.csv").exists()
    records = [json.loads(line) for line in mentions.read_text().splitlines()]
    ptx = next(r for r in records if r["observation"] == "Pneumothorax")
    assert ptx["report"] == "s3" and ptx["label"] == 0.0 and ptx["rule"] == "neg.window_no"
    assert "No pneumothorax."[ptx["start"]:ptx["end"]] == "pneumothorax"
    assert {"report", "observation", "sentence", "phrase", "start", "end", "label", "rule"} <= set(ptx)


def test_sections_option(tmp_path, capsys):
    path = tmp_path / "r.csv"
    pd.DataFrame({"text": ["FINDINGS: Small left effusion. IMPRESSION: No pneumothorax."]}).to_csv(path, index=False)
    for sections, effusion in (("default", 1.0), ("impression-or-all", None), ("all", 1.0), ("findings", 1.0)):
        out = tmp_path / f"{sections}.csv"
        run(["extract", str(path), "--sections", sections, "-o", str(out), "--parser", "none", "-q"], capsys)
        value = pd.read_csv(out).loc[0, "Pleural Effusion"]
        assert (pd.isna(value) if effusion is None else value == effusion), sections


def test_custom_observation_from_lexicon_dir(reports, tmp_path, capsys):
    extra = tmp_path / "mylex"
    (extra / "mention").mkdir(parents=True)
    (extra / "mention" / "Pneumoperitoneum.txt").write_text("free air\npneumoperitoneum\n")
    path = tmp_path / "r.csv"
    pd.DataFrame({"text": ["Free air under the diaphragm.", "No pneumoperitoneum."]}).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    code, _, err = run(["extract", str(path), "--lexicon-dir", str(extra), "-o", str(out), "--parser", "none", "-q"], capsys)
    assert code == 0, err
    assert pd.read_csv(out)["Pneumoperitoneum"].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("args, message", [
    (["extract", "missing.csv"], "no such file"),
    (["extract", "{reports}", "--column", "nope"], "the columns are: 'study', 'Report Impression'"),
    (["extract", "{reports}", "--id-column", "nope"], "no column 'nope'"),
    (["extract", "{bad}"], "--encoding"),
    (["extract", "{reports}", "--lexicon-dir", "/no/such/dir"], "lexicon folder not found"),
    (["extract", "{reports}", "--batch-size", "0"], "--batch-size"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, reports, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("text\n" + '"Épanchement pleural, opacité élargie"\n' * 3).encode("cp1252"))
    args = [a.format(reports=reports, bad=bad) for a in args] + ["--parser", "none"]
    code, _, err = run(args, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_output_never_overwrites_input(reports, capsys):
    code, _, err = run(["extract", str(reports), "-o", str(reports), "--parser", "none"], capsys)
    assert code == 2 and "overwrite" in err


def test_explain_table(capsys):
    code, out, _ = run(["explain", "No pneumothorax. Possible pneumonia.", "--parser", "none"], capsys)
    assert code == 0
    assert "Pneumothorax" in out and "negative" in out and "neg.window_no" in out
    assert "labels: No Finding" not in out and "Pneumonia -1" in out


def test_evaluate_table_and_json(tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    pred = tmp_path / "pred.csv"
    pd.DataFrame({"id": [1, 2, 3, 4], "Edema": [1.0, 0.0, -1.0, None]}).to_csv(gold, index=False)
    pd.DataFrame({"id": [4, 3, 2, 1], "Reports": ["", "", "", ""], "Edema": [None, -1.0, 1.0, 1.0]}).to_csv(pred, index=False)
    code, out, _ = run(["evaluate", str(pred), str(gold), "--id-column", "id", "--json"], capsys)
    assert code == 0
    edema = json.loads(out)["observations"]["Edema"]
    assert edema["mention"]["f1"] == 1.0
    assert edema["positive"] == {"f1": pytest.approx(2 / 3), "tp": 1, "fp": 1, "fn": 0}
    assert edema["negation"]["f1"] == 0.0 and edema["uncertain"]["f1"] == 1.0
    assert edema["weighted_f1"] == pytest.approx((2 / 3 + 0 + 1) / 3)
    code, out, _ = run(["evaluate", str(pred), str(gold), "--id-column", "id"], capsys)
    assert "macro" in out and "Edema" in out


def test_evaluate_positive_only(tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    pred = tmp_path / "pred.csv"
    pd.DataFrame({"Edema": [1.0, 0.0, 0.0, None]}).to_csv(gold, index=False)
    pd.DataFrame({"Edema": [1.0, -1.0, None, 1.0]}).to_csv(pred, index=False)
    _, out, _ = run(["evaluate", str(pred), str(gold), "--positive-only", "--json"], capsys)
    assert json.loads(out)["observations"]["Edema"]["f1"] == 1.0
    _, out, _ = run(["evaluate", str(pred), str(gold), "--positive-only", "--uncertain-as", "positive", "--json"], capsys)
    assert json.loads(out)["observations"]["Edema"]["f1"] == pytest.approx(2 / 3)


def test_evaluate_bad_value_names_row_and_column(tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("Edema\n1.0\nmaybe\n")
    code, _, err = run(["evaluate", str(gold), str(gold)], capsys)
    assert code == 2 and "row 3" in err and "'Edema'" in err


def test_help_teaches(capsys):
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "IMPRESSION" in out and "--parser" in out


def test_very_long_report_is_processed_whole(tmp_path, capsys):
    path = tmp_path / "long.csv"
    text = "Lungs are clear. " * 20000 + "Small right pneumothorax."
    pd.DataFrame({"text": [text, "No edema."]}).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    code, _, err = run(["extract", str(path), "-o", str(out), "--parser", "none", "-q"], capsys)
    assert code == 0, err
    frame = pd.read_csv(out)
    assert frame.loc[0, "Pneumothorax"] == 1.0 and frame.loc[1, "Edema"] == 0.0
    assert len(frame.loc[0, "Reports"]) == len(text)
