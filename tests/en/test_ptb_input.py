"""`--parser ptb`: a column of bracketed trees labelled with the same rules as every other backend."""
from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.errors import ReportError
from cxrlabel.en.labeler import LabelerConfig, Pipeline

NEGATED = "(ROOT (S (NP (DT No) (JJ pleural) (NN effusion) (CC or) (NN pneumothorax)) (. .)))"
UNCERTAIN = ("(ROOT (S (NP (NNS Findings)) (VP (MD may) (VP (VB represent) (NP (NN atelectasis)))) (. .)))")
POSITIVE = "(ROOT (S (NP (JJ Mild) (NN cardiomegaly)) (. .)))"
NOT_ENLARGED = "(ROOT (S (NP (DT The) (NN heart)) (VP (VBZ is) (RB not) (VP (VBN enlarged))) (. .)))"


@pytest.fixture(scope="module")
def ptb_labeler():
    return Pipeline(LabelerConfig(parser="ptb"))


def test_one_cell_of_trees_is_one_report(ptb_labeler):
    result = ptb_labeler.label([NEGATED + "\n" + UNCERTAIN + " " + POSITIVE])[0]
    assert result.text == "No pleural effusion or pneumothorax. Findings may represent atelectasis. Mild cardiomegaly."
    labels = result.labels
    assert labels["Pleural Effusion"] == 0.0 and labels["Pneumothorax"] == 0.0
    assert labels["Atelectasis"] == -1.0 and labels["Cardiomegaly"] == 1.0


def test_mention_offsets_point_into_the_text_made_from_the_leaves(ptb_labeler):
    result = ptb_labeler.label([NOT_ENLARGED])[0]
    assert result.labels["Cardiomegaly"] == 0.0
    (mention,) = [m for m in result.mentions if m.observation == "Cardiomegaly"]
    assert result.text[mention.start:mention.end] == mention.phrase


def test_ptb_and_spacy_agree_on_these_sentences(ptb_labeler, spacy_labeler):
    trees = [NEGATED, UNCERTAIN, POSITIVE, NOT_ENLARGED]
    texts = [r.text for r in ptb_labeler.label(trees)]
    assert [r.labels for r in ptb_labeler.label(trees)] == [r.labels for r in spacy_labeler.label(texts)]


def test_empty_cells_give_blank_rows(ptb_labeler):
    blank = ptb_labeler.label(["", None])
    assert all(v is None for r in blank for v in r.labels.values())


def test_a_broken_tree_names_its_report(ptb_labeler):
    with pytest.raises(ReportError) as err:
        ptb_labeler.label([POSITIVE, "(ROOT (S (NP (NN effusion)) (. .))"])
    assert err.value.index == 1 and "bracketed trees" in str(err.value)


def test_extract_reads_a_column_of_trees(tmp_path):
    source = tmp_path / "trees.csv"
    pd.DataFrame({"id": ["a", "b"], "trees": [NEGATED, UNCERTAIN + POSITIVE]}).to_csv(source, index=False)
    out = tmp_path / "labels.csv"
    assert main(["extract", str(source), "--parser", "ptb", "--column", "trees", "--id-column", "id",
                 "-o", str(out), "-q"]) == 0
    labels = pd.read_csv(out).set_index("id")
    assert labels.at["a", "Pneumothorax"] == 0.0 and labels.at["b", "Atelectasis"] == -1.0
    assert labels.at["b", "Reports"] == "Findings may represent atelectasis. Mild cardiomegaly."


def test_extract_with_a_broken_tree_names_the_row(tmp_path, capsys):
    source = tmp_path / "trees.csv"
    pd.DataFrame({"trees": [POSITIVE, POSITIVE, "(S (NP (NN x)"]}).to_csv(source, index=False)
    code = main(["extract", str(source), "--parser", "ptb", "--column", "trees", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "row 3" in err and "Traceback" not in err
