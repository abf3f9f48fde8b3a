"""What the Python API takes as reports: a string is one report, and an item that is not text is refused by
position instead of being labelled as its printed form."""
import math

import pandas as pd
import pytest

import cxrlabel


def test_a_single_string_is_one_report():
    labels = cxrlabel.label("Edema.", parser="none")
    assert len(labels) == 1
    assert labels["Reports"].tolist() == ["Edema."]
    assert labels["Edema"].tolist() == [1.0]


def test_missing_values_are_empty_reports():
    labels = cxrlabel.label(["Edema.", None, math.nan, pd.NA], parser="none")
    assert labels["Reports"].tolist() == ["Edema.", "", "", ""]
    assert labels["Edema"].isna().tolist() == [False, True, True, True]
    assert labels.drop(columns="Reports").iloc[1:].isna().all().all()


@pytest.mark.parametrize("item, kind", [(5, "int"), (True, "bool"), (object(), "object"), (b"Edema.", "bytes"),
                                        (2.5, "float")])
def test_an_item_that_is_not_text_is_refused_by_position(item, kind):
    with pytest.raises(TypeError, match=rf"texts\[1\] is {kind}, not a report"):
        cxrlabel.label(["Edema.", item], parser="none")


def test_a_numeric_series_is_refused():
    with pytest.raises(TypeError, match=r"texts\[0\] is int,"):
        cxrlabel.label(pd.Series([1, 2]), parser="none")


def test_a_dict_and_bytes_are_refused_whole():
    with pytest.raises(TypeError, match="dict, whose keys would be labelled"):
        cxrlabel.label({"Edema.": 1}, parser="none")
    with pytest.raises(TypeError, match="decode it"):
        cxrlabel.label(b"Edema.", parser="none")
    with pytest.raises(TypeError, match="not int"):
        cxrlabel.label(5, parser="none")


def test_explain_takes_one_string():
    assert "Edema" in cxrlabel.explain("Edema.", parser="none")
    with pytest.raises(TypeError, match="explain takes one report as a str, not list"):
        cxrlabel.explain(["Edema."], parser="none")


def test_reports_without_the_chosen_section_are_warned_about_by_count():
    with pytest.warns(UserWarning, match=r"2 of 3 reports have text but none in the sections chosen \(sections 'impression'"):
        labels = cxrlabel.label(["Edema.", "IMPRESSION: Edema.", "No effusion."], parser="none", sections="impression")
    assert labels["Edema"].tolist()[1] == 1.0
