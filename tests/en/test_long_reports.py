"""Long reports are labelled with bounded work per call to Punkt, whose regexes run under nltk's wall-clock
limit: no span it sees (and so no sentence) is longer than MAX_SPAN, whatever the report's length."""
import pandas as pd

from cxrlabel.cli import main
from cxrlabel.en import sentences


def spans_seen(monkeypatch):
    seen = []
    punkt = sentences.tokenizer(None)
    original = type(punkt).span_tokenize

    def recording(self, text, *args, **kwargs):
        seen.append(len(text))
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(type(punkt), "span_tokenize", recording)
    return seen


def test_punkt_never_sees_more_than_max_span(monkeypatch):
    seen = spans_seen(monkeypatch)
    text = "Lungs are clear. " * 2000 + "word " * 3000 + "x" * 12_000 + ". Small right pneumothorax."
    spans = sentences.split(text, [(0, len(text))])
    assert max(seen) <= sentences.MAX_SPAN and sum(seen) == len(text)
    assert max(e - s for s, e in spans) <= sentences.MAX_SPAN
    assert text[spans[0][0]:spans[0][1]] == "Lungs are clear."
    assert text[spans[-1][0]:spans[-1][1]] == "Small right pneumothorax."
    cut = [text[s:e] for s, e in spans[:2000]]
    assert cut == ["Lungs are clear."] * 2000  # cut at sentence ends: the same sentences as one pass gives


def test_a_short_report_is_split_as_one_span(monkeypatch):
    seen = spans_seen(monkeypatch)
    text = "Heart size normal. No effusion. Dr. Smith was called."
    assert len(sentences.split(text, [(0, len(text))])) == 3
    assert seen == [len(text)]


def test_a_report_of_megabytes_is_labelled_and_its_neighbours_too(tmp_path, capsys):
    path = tmp_path / "long.csv"
    huge = "word " * 100_000 + ". Small right pneumothorax."  # 500 kB with no sentence end until the last
    pd.DataFrame({"text": ["No edema.", huge, "Cardiomegaly."]}).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    assert main(["extract", str(path), "-o", str(out), "--parser", "none", "-q"]) == 0, capsys.readouterr().err
    frame = pd.read_csv(out)
    assert frame["Edema"].tolist()[0] == 0.0 and frame["Pneumothorax"].tolist()[1] == 1.0
    assert frame["Cardiomegaly"].tolist()[2] == 1.0


def test_labelling_does_not_depend_on_nltks_wall_clock_limit(monkeypatch):
    """nltk abandons a Punkt regex after redos.DEFAULT_TIMEOUT seconds of wall clock (5 s). With a limit of
    0.25 s (as on a machine twenty times slower or busier than this one), one call over this 4 MB report
    raised TimeoutError; spans of MAX_SPAN characters take milliseconds, so the report is labelled."""
    from nltk import redos

    from cxrlabel import label

    monkeypatch.setattr(redos, "DEFAULT_TIMEOUT", 0.25)
    huge = "Lungs are clear. " * 250_000 + "Small right pneumothorax."
    assert label([huge], parser="none")["Pneumothorax"].tolist() == [1.0]


def test_a_report_our_code_cannot_label_is_named_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    """An error of ours on one report (nltk's TimeoutError was one) costs that report its labels, named by
    row and id, never its neighbours' or the run; the error's words (which may quote it) need --log-text."""
    from cxrlabel.en import labeler as labeler_module

    split = labeler_module.Pipeline.split

    def failing(self, index, text):
        if "trips the labeller" in str(text):
            raise TimeoutError("regular-expression match exceeded its time limit on: trips the labeller")
        return split(self, index, text)

    monkeypatch.setattr(labeler_module.Pipeline, "split", failing)
    path = tmp_path / "r.csv"
    pd.DataFrame({"id": ["a", "b", "c"],
                  "text": ["No edema.", "Cardiomegaly. This report trips the labeller.", "Small pneumothorax."]}
                 ).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    code = main(["extract", str(path), "--id-column", "id", "-o", str(out), "--parser", "none", "--workers", "1",
                 "--no-cache"])
    err = capsys.readouterr().err
    assert code == 0, err
    frame = pd.read_csv(out)
    assert frame["Edema"].tolist()[0] == 0.0 and frame["Pneumothorax"].tolist()[2] == 1.0
    assert frame.iloc[1][["Cardiomegaly", "No Finding"]].isna().all()  # blank, not guessed
    assert frame["Reports"].tolist()[1] == "Cardiomegaly. This report trips the labeller."  # nothing lost
    assert "row 2 (id b) could not be labelled (TimeoutError)" in err
    assert "1 report could not be labelled" in err
    assert "trips the labeller" not in err  # the report's words stay out of the messages
