"""Every Python example in the README runs, and the Python API gives what `extract` writes."""
from __future__ import annotations

import importlib
import shlex

import pandas as pd
import pytest

import cxrlabel
from cxrlabel.cli import main
from cxrlabel.errors import UserError
from tests.conftest import ROOT, spacy_required



def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of each fenced block."""
    blocks, language, lines = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, lines = line[3:].strip(), []
            else:
                blocks.append((language, "\n".join(lines) + "\n"))
                language = None
        elif language is not None:
            lines.append(line)
    return blocks


BLOCKS = code_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
EXAMPLES = [code for language, code in BLOCKS if language == "python"]
COMMANDS = [line.strip() for language, code in BLOCKS if language != "python"
            for line in code.replace("\\\n", " ").splitlines() if line.strip().startswith(("cxrlabel ", "cxrtrain "))]


@pytest.mark.parametrize("tool", ["cxrlabel", "cxrtrain"])
def test_every_command_the_readme_shows_parses(tool):
    parser = importlib.import_module(f"{tool}.cli").build_parser()
    shown = [shlex.split(c, comments=True)[1:] for c in COMMANDS if c.startswith(tool + " ")]
    assert len(shown) > 5
    for args in shown:
        parser.parse_args(args)  # an unknown command or option exits 2


def test_the_readme_has_python_examples_for_both_packages():
    assert any("cxrlabel.label(" in e for e in EXAMPLES) and any("cxrtrain.load_run(" in e for e in EXAMPLES)


# The cxrtrain example needs a finished run: tests/train/test_train_api.py runs it on one.
@pytest.mark.parametrize("example", [e for e in EXAMPLES if "cxrtrain" not in e], ids=lambda e: e.split("\n")[0])
def test_a_cxrlabel_readme_example_runs(example, capsys):
    spacy_required()  # the examples use the default parser
    exec(compile(example, "README.md", "exec"), {})
    assert "Cardiomegaly" in capsys.readouterr().out


def test_label_gives_the_rows_extract_writes(tmp_path, capsys):
    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", keep_default_na=False).head(40)
    source = tmp_path / "r.csv"
    reports.to_csv(source, index=False)
    assert main(["extract", str(source), "-o", str(tmp_path / "l.csv"), "--parser", "none", "-q"]) == 0
    labelled = cxrlabel.label(reports["report"], parser="none")
    assert list(labelled.index) == list(reports.index)
    assert labelled.to_csv(index=False).encode("utf-8") == (tmp_path / "l.csv").read_bytes()


def test_explain_is_the_table_the_command_prints(capsys):
    text = "No pneumothorax. Possible pneumonia."
    assert main(["explain", text, "--parser", "none"]) == 0
    assert capsys.readouterr().out == cxrlabel.explain(text, parser="none") + "\n"


def test_a_labeler_is_reused_and_bad_options_name_the_keyword():
    labeler = cxrlabel.Labeler(parser="none")
    assert labeler.pipeline is cxrlabel.Labeler(parser="none").pipeline  # loaded once per process and options
    with pytest.raises(UserError, match="unknown option 'parsr'"):
        cxrlabel.label(["x"], parsr="none")
    with pytest.raises(UserError, match="^sections 'nope' is not one of"):
        cxrlabel.Labeler(sections="nope")
