"""A resumed run must label with the rule and lexicon files of the run it continues: an edit to any of them
in between stops --resume, and every data file labelling reads is one that the run identity covers."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from cxrlabel.en import chunks
from cxrlabel.en.labeler import LabelerConfig, Pipeline
from cxrlabel.resources import lexicons_dir, rules_dir
from tests.conftest import ROOT

NONE = ("--parser", "none")


def test_every_data_file_the_labeler_reads_is_in_the_run_identity():
    opened: list[Path] = []

    def audit(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], (str, Path)) and recording:
            opened.append(Path(args[0]).resolve())

    recording = True
    sys.addaudithook(audit)  # stays for the process; it records only while `recording`
    try:
        config = LabelerConfig(parser="none")
        Pipeline(config).label(["No pneumothorax. Possible small left effusion."])
    finally:
        recording = False
    folders = [f.resolve() for f in config.data_folders()]
    data = [p for p in opened if any(root.resolve() in p.parents for root in (rules_dir(), lexicons_dir()))]
    assert data, "the labeller read no rule or lexicon file"
    assert [p for p in data if not any(f in p.parents for f in folders)] == []


@pytest.fixture
def stopped_run(reports_csv, tmp_path, extract, monkeypatch):
    """An extract run with its own copies of the rules and lexicons, stopped with its first part done."""
    rules, lexicons = tmp_path / "rules", tmp_path / "lexicons"
    shutil.copytree(ROOT / "rules" / "en", rules)
    shutil.copytree(ROOT / "lexicons" / "en", lexicons)
    args = (reports_csv(30), "-o", tmp_path / "labels.csv", "--chunk-size", 10, "--workers", 1, "-q",
            "--rules-dir", rules, "--lexicon-dir", lexicons, *NONE)
    real = chunks.label_chunk

    def stops_at_the_third_chunk(task, spec):  # results come in order, one task ahead: the first is kept
        if task.index == 2:
            raise KeyboardInterrupt
        return real(task, spec)

    with monkeypatch.context() as patch:
        patch.setattr(chunks, "label_chunk", stops_at_the_third_chunk)  # extract imports it when it runs
        assert extract(*args)[0] == 130
    return args, [p for folder in (rules, lexicons) for p in sorted(folder.rglob("*")) if p.is_file()]


def test_an_edit_to_any_rule_or_lexicon_file_stops_resume(stopped_run, extract):
    args, files = stopped_run
    assert len(files) > 20
    for path in files:
        before = path.read_bytes()
        path.write_bytes(before + b"\n")
        code, err = extract(*args, "--resume")
        assert code == 2 and "the rule or lexicon files" in err, path.name
        path.write_bytes(before)
    added = files[0].parent / "added.txt"
    added.write_text("a file that was not there\n")
    assert extract(*args, "--resume")[0] == 2
    added.unlink()
    assert extract(*args, "--resume")[0] == 0  # as they were: the run continues
