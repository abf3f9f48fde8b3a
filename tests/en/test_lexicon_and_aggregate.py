"""Mention lexicons (multiword, plurals, unmentions, qualifiers, layering) and report aggregation."""
from pathlib import Path

import pytest

from cxrlabel.en import aggregate, lexicon
from cxrlabel.errors import UserError
from cxrlabel.en.normalize import normalize
from cxrlabel.resources import lexicons_dir, rules_dir

SHIPPED = lexicons_dir() / "en"


@pytest.fixture(scope="module")
def lex():
    return lexicon.load([SHIPPED])


def found(lex, text):
    return sorted((m.observation, " ".join(normalize(text).words[m.first:m.last + 1]), m.qualified)
                  for m in lex.find(normalize(text)) if m.kind == "mention")


def test_columns_are_the_chexpert_fourteen_in_order(lex):
    assert lex.observations == list(lexicon.CHEXPERT)
    assert set(lex.auxiliary) >= {"Heart Failure", "Other Finding"}


def test_multiword_longest_match_and_plural(lex):
    assert found(lex, "Bilateral pleural effusions.") == [("Pleural Effusion", "pleural effusions", True)]
    assert ("Lung Opacity", "opacities", True) in found(lex, "Patchy opacities.")


def test_unmention_suppresses_overlapping_mention(lex):
    assert found(lex, "Small pericardial effusion.") == []
    assert found(lex, "Calcified nodule in the left lung.") == []


def test_qualified_mentions(lex):
    assert found(lex, "Heart size is enlarged.") == [("Cardiomegaly", "heart size", True)]
    assert found(lex, "Heart size is stable.") == [("Cardiomegaly", "heart size", False)]


def test_needs_makes_a_phrase_a_mention_only_beside_its_qualifier(lex):
    assert found(lex, "Pulmonary vascularity is increased.") == [("Edema", "vascularity", True)]
    assert found(lex, "Pulmonary vascularity is within normal limits.") == []


def test_custom_observation_and_layering(tmp_path):
    (tmp_path / "mention").mkdir()
    (tmp_path / "mention" / "Hernia.txt").write_text("# mine\nhiatal hernia\n")
    (tmp_path / "mention" / "Edema.txt").write_text("oedema\n")
    lex = lexicon.load([SHIPPED, tmp_path])
    assert lex.observations[-1] == "Hernia"
    assert found(lex, "Small hiatal hernia.") == [("Hernia", "hiatal hernia", True)]
    assert found(lex, "Pulmonary oedema.") == [("Edema", "oedema", True)]
    assert found(lex, "Pulmonary edema.") == []  # the user's Edema.txt replaced ours


def test_bad_lexicon_line_names_file_and_line(tmp_path):
    (tmp_path / "mention").mkdir()
    (tmp_path / "mention" / "X.txt").write_text("ok\nfoo | wants: bar\n")
    with pytest.raises(UserError, match="X.txt:2"):
        lexicon.load([tmp_path])


def test_missing_lexicon_folder():
    with pytest.raises(UserError, match="not found"):
        lexicon.load([Path("/nonexistent/lex")])


RULES = aggregate.load(rules_dir() / "en" / "aggregation.ini")
OBS = list(lexicon.CHEXPERT)
AUX = ["Heart Failure", "Other Finding"]


def agg(**mentions):
    labels, _ = aggregate.aggregate({k.replace("_", " "): v for k, v in mentions.items()}, OBS, AUX, RULES)
    return labels


@pytest.mark.parametrize("values, expected", [([0.0, -1.0, 1.0], 1.0), ([0.0, -1.0], -1.0), ([0.0, 0.0], 0.0), ([], None)])
def test_precedence(values, expected):
    assert aggregate.combine(values) == expected


def test_no_finding():
    assert agg(Edema=[0.0])["No Finding"] == 1.0
    assert agg()["No Finding"] == 1.0
    assert agg(Edema=[-1.0])["No Finding"] is None
    assert agg(Support_Devices=[1.0])["No Finding"] == 1.0
    assert agg(Other_Finding=[1.0])["No Finding"] is None
    assert agg(Other_Finding=[0.0])["No Finding"] == 1.0


def test_heart_failure_gives_uncertain_cardiomegaly_only_when_blank():
    assert agg(Heart_Failure=[1.0])["Cardiomegaly"] == -1.0
    assert agg(Heart_Failure=[1.0], Cardiomegaly=[0.0])["Cardiomegaly"] == 0.0
    assert agg(Heart_Failure=[0.0])["Cardiomegaly"] is None


def test_bad_aggregation_file(tmp_path):
    path = tmp_path / "aggregation.ini"
    path.write_text("[derive x]\ntarget = Edema\nvalue = 2\nsource = A\nsource_values = 1.0\n")
    with pytest.raises(UserError, match="not a label"):
        aggregate.load(path)
