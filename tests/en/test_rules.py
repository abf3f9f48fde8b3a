"""Each negation and uncertainty construction, as a sentence and the labels it must get.

Run with the spaCy graph rules and with the rule-only surface windows (--parser none)."""
import pytest

CASES = [
    # coordination
    ("No pneumothorax or pleural effusion.", {"Pneumothorax": 0.0, "Pleural Effusion": 0.0}),
    ("No focal consolidation, pleural effusion, or pneumothorax.", {"Consolidation": 0.0, "Pleural Effusion": 0.0, "Pneumothorax": 0.0}),
    ("No evidence of effusion, but small pneumothorax is present.", {"Pleural Effusion": 0.0, "Pneumothorax": 1.0}),
    # negation cues
    ("There is no evidence of pneumothorax.", {"Pneumothorax": 0.0}),
    ("Small right effusion without pulmonary edema.", {"Pleural Effusion": 1.0, "Edema": 0.0}),
    ("Lungs are free of focal airspace disease.", {"Lung Opacity": 0.0}),
    ("Negative for pneumothorax.", {"Pneumothorax": 0.0}),
    ("Right pleural effusion has resolved.", {"Pleural Effusion": 0.0}),
    ("Pneumothorax is no longer seen.", {"Pneumothorax": 0.0}),
    ("The endotracheal tube has been removed.", {"Support Devices": 0.0}),
    # pre-negation uncertainty
    ("Cannot exclude a small left effusion.", {"Pleural Effusion": -1.0}),
    ("Pneumonia is not excluded.", {"Pneumonia": -1.0}),
    # post-negation uncertainty
    ("Findings may represent atelectasis.", {"Atelectasis": -1.0}),
    ("Possible pneumonia in the right lower lobe.", {"Pneumonia": -1.0}),
    ("Atelectasis versus pneumonia.", {"Atelectasis": -1.0, "Pneumonia": -1.0}),
    ("Opacity concerning for pneumonia.", {"Lung Opacity": 1.0, "Pneumonia": -1.0}),
    ("Question of a small pneumothorax.", {"Pneumothorax": -1.0}),
    ("Rule out pneumonia.", {"Pneumonia": -1.0}),
    ("Findings suggestive of edema.", {"Edema": -1.0}),
    ("Likely atelectasis at the left base.", {"Atelectasis": -1.0}),
    # normal heart size and mediastinum
    ("Heart size is normal.", {"Cardiomegaly": 0.0}),
    ("Normal heart size.", {"Cardiomegaly": 0.0}),
    ("The cardiomediastinal silhouette is within normal limits.", {"Enlarged Cardiomediastinum": 0.0}),
    ("The heart is not enlarged.", {"Cardiomegaly": 0.0}),
    ("Heart size is at the upper limits of normal.", {"Cardiomegaly": -1.0}),
    # no X to suggest Y
    ("No focal consolidation to suggest pneumonia.", {"Consolidation": 0.0, "Pneumonia": 0.0}),
    # plain positives
    ("Mild cardiomegaly.", {"Cardiomegaly": 1.0}),
    ("Stable cardiomegaly.", {"Cardiomegaly": 1.0}),
    ("Heart size is enlarged.", {"Cardiomegaly": 1.0}),
    ("Left chest tube in place.", {"Support Devices": 1.0}),
]
# Surface windows cannot read these; the graph rules can.
GRAPH_ONLY = {"Rule out pneumonia."}


def check(labeler, sentence, expected):
    labels = labeler.label([sentence])[0].labels
    got = {k: v for k, v in labels.items() if v is not None and k != "No Finding"}
    assert got == expected, f"{sentence!r}: {got} != {expected}"


@pytest.mark.parametrize("sentence, expected", CASES)
def test_spacy_graph_rules(spacy_labeler, sentence, expected):
    check(spacy_labeler, sentence, expected)


@pytest.mark.parametrize("sentence, expected", [c for c in CASES if c[0] not in GRAPH_ONLY])
def test_rule_only_surface_windows(surface_labeler, sentence, expected):
    check(surface_labeler, sentence, expected)


def test_heart_failure_makes_cardiomegaly_uncertain(spacy_labeler):
    labels = spacy_labeler.label(["Congestive heart failure."])[0].labels
    assert labels["Cardiomegaly"] == -1.0 and labels["No Finding"] is None


def test_blocking_finding_stops_no_finding(spacy_labeler):
    assert spacy_labeler.label(["Calcified granuloma. Lungs clear."])[0].labels["No Finding"] is None
    assert spacy_labeler.label(["Lungs clear. No effusion."])[0].labels["No Finding"] == 1.0


def test_every_mention_names_its_rule(spacy_labeler):
    result = spacy_labeler.label(["No pneumothorax. Possible pneumonia."])[0]
    assert [(m.observation, m.rule) for m in result.mentions] == [
        ("Pneumothorax", "neg.no"), ("Pneumonia", "unc.hedge_amod")]
    m = result.mentions[1]
    assert "No pneumothorax. Possible pneumonia."[m.start:m.end] == "pneumonia"


def test_rule_file_errors_name_file_and_line(tmp_path):
    from cxrlabel.en import ruleset
    from cxrlabel.errors import UserError

    for stage in ruleset.STAGES:
        (tmp_path / f"{stage}.txt").write_text("ok.rule: {@} >det {lemma:no}\n")
    (tmp_path / "negation.txt").write_text("# comment\nbroken rule without colon\n")
    with pytest.raises(UserError, match="negation.txt:2"):
        ruleset.load(tmp_path)
    (tmp_path / "negation.txt").write_text("a: {@}\na: {@}\n")
    with pytest.raises(UserError, match="used twice"):
        ruleset.load(tmp_path)
    (tmp_path / "negation.txt").write_text("a [sometimes]: {@}\n")
    with pytest.raises(UserError, match="unknown mode"):
        ruleset.load(tmp_path)


def test_labelling_is_a_pure_batch_function():
    from cxrlabel.en.labeler import LabelerConfig, pipeline_for

    config = LabelerConfig(parser="none", sections="all")
    texts = ["No pneumothorax.", "", "Small left effusion."]
    first = [r.labels for r in pipeline_for(config).label(texts)]
    assert first == [r.labels for r in pipeline_for(config).label(list(reversed(texts)))][::-1]
    assert pipeline_for(config) is pipeline_for(config)  # loaded once per process
    assert first[0]["Pneumothorax"] == 0.0 and first[2]["Pleural Effusion"] == 1.0
    assert all(v is None for v in first[1].values())
