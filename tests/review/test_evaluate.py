"""cxrlabel evaluate --sample: archive scores whose 95% intervals hold the archive's value, and clear one-line
errors for a review that does not belong to the sample or labels that changed."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.review.estimate import Reviewed, estimate
from cxrlabel.review.sample import LabelTable, draw_sample
from cxrlabel.review.scores import UNINFORMED, more_to_review
from tests.review.test_sample import OBSERVATIONS, archive


def reviewer_of(table: LabelTable, seed: int = 0) -> np.ndarray:
    """A reviewer who agrees with most labels, as on Open-i: few false positives (4%), and missed positives
    mostly among the -1.0 labels. Gold class codes (reports, observations)."""
    rng = np.random.default_rng(seed)
    gold = np.where(table.classes == 0, 0, 1).astype(np.int8)  # predicted positive -> positive, else negative
    flip_fp = (table.classes == 0) & (rng.random(table.classes.shape) < 0.04)
    flip_fn = (table.classes != 0) & (rng.random(table.classes.shape) < np.where(table.classes == 2, 0.4, 0.01))
    gold[flip_fp] = 1
    gold[flip_fn] = 0
    return gold


def test_archive_intervals_cover_the_archive_value_on_synthetic_data():
    """A small version of bench.review: 60 samples of 150 from 1,500 reports, positive precision and recall. Errors
    are few, so many samples hold none of some observation's false positives: there the design bootstrap's
    interval shrinks to 1.0 (it covers in 20% of samples for the rarest observation), the posterior's does not."""
    table = LabelTable.from_frame(archive(1500, seed=2), "labels.csv")
    gold = reviewer_of(table)
    predicted, actual = table.classes == 0, gold == 0
    true = np.stack([(predicted & actual).sum(0) / predicted.sum(0), (predicted & actual).sum(0) / actual.sum(0)], 1)
    counts = np.stack([np.bincount(table.classes[:, j], minlength=4) for j in range(3)])
    row_of = {rid: i for i, rid in enumerate(table.ids)}
    hits, errors = [], []
    for seed in range(60):
        drawn = draw_sample(table, 150, seed)
        rows = np.array([row_of[i] for i in drawn.frame["id"]])
        stratum = {rid: h for h, s in enumerate(drawn.strata) for rid in s["ids"]}
        reviewed = Reviewed(table.classes[rows], gold[rows], 1 / drawn.frame["inclusion_probability"].to_numpy(),
                            np.array([stratum[i] for i in drawn.frame["id"]]), counts)
        est = estimate(reviewed, weighted=True, replicates=500, seed=seed)
        hits.append((est.low[:, 0, :2] <= true + 1e-9) & (true <= est.high[:, 0, :2] + 1e-9))
        errors.append(est.value[:, 0, :2] - true)
    coverage = np.mean(hits, axis=0)
    assert coverage.min() >= 0.9, coverage
    assert np.abs(np.mean(errors, axis=0)).max() < 0.03  # the estimate is centred on the archive's value


def test_plain_scores_are_the_counts_on_the_sample():
    pred = np.array([[0], [0], [0], [3], [1]], dtype=np.int8)
    gold = np.array([[0], [0], [1], [0], [1]], dtype=np.int8)
    reviewed = Reviewed(pred, gold, np.full(5, 10.0), np.zeros(5, int), np.array([[30, 10, 0, 10]]))
    plain = estimate(reviewed, weighted=False, replicates=200)
    assert plain.value[0, 0] == pytest.approx([2 / 3, 2 / 3, 2 / 3])  # tp 2, fp 1, fn 1
    archive_scores = estimate(reviewed, weighted=True, replicates=200)
    # archive: 30 predicted positives, 2/3 right -> tp 20, fp 10; 10 blanks, all missed positives -> fn 10
    assert archive_scores.value[0, 0] == pytest.approx([2 / 3, 20 / 30, 2 * 20 / (30 + 30)])
    assert (archive_scores.low <= archive_scores.value)[np.isfinite(archive_scores.value)].all()


def test_review_more_grows_with_the_width():
    assert more_to_review(10, 0.85, 0.95) is None
    assert more_to_review(3, 0.2, 0.95) == 40  # 3 * (0.75 / 0.2) ** 2 = 42.2 -> 43 in all
    assert more_to_review(0, None, None) == UNINFORMED == 97


@pytest.fixture
def review(tmp_path, capsys):
    """labels.csv, a sample of 40 in review/, and reviewed.csv in which the reviewer agrees with every label."""
    frame = archive(200)
    frame["Reports"] = "SECRET-REPORT-TEXT"
    labels = tmp_path / "labels.csv"
    frame.to_csv(labels, index=False)
    assert main(["sample", str(labels), "-n", "40", "-o", str(tmp_path / "review")]) == 0
    sample = pd.read_csv(tmp_path / "review" / "sample.csv", dtype=str, keep_default_na=False)
    reviewed = sample[["id", *OBSERVATIONS]].assign(reviewer="dr a", reviewed_at="2026-01-01T00:00:00Z")
    capsys.readouterr()
    return tmp_path, labels, reviewed


def run(tmp_path, labels, reviewed: pd.DataFrame, capsys) -> tuple[int, str, str]:
    path = tmp_path / "reviewed.csv"
    reviewed.to_csv(path, index=False)
    code = main(["evaluate", str(labels), str(path), "--sample", str(tmp_path / "review")])
    out = capsys.readouterr()
    assert "SECRET" not in out.out + out.err and "Traceback" not in out.err
    return code, out.out, out.err


def test_evaluate_writes_json_and_png_and_says_which_intervals_are_too_wide(review, capsys):
    tmp_path, labels, reviewed = review
    code, out, err = run(tmp_path, labels, reviewed, capsys)
    assert code == 0
    scores = json.loads((tmp_path / "review" / "scores.json").read_text())
    positive = scores["observations"]["Pneumothorax"]["classes"]["positive"]
    assert positive["sample"]["f1"]["value"] == 1.0 and positive["archive"]["precision"]["value"] == 1.0
    low, high = positive["archive"]["f1"]["low"], positive["archive"]["f1"]["high"]
    assert 0 < low < high == 1.0
    assert scores["reviewed"] == scores["drawn"] == 40 and scores["archive_reports"] == 200
    assert (tmp_path / "review" / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "archive F1" in out and "Pneumothorax" in out
    advice = [a for a in scores["advice"] if a.startswith("Pneumothorax:")]
    assert advice and "reviewed positive" in advice[0] and "more" in advice[0] and advice[0] in out


def test_a_half_finished_review_scores_its_confirmed_rows(review, capsys):
    tmp_path, labels, reviewed = review
    reviewed["status"] = ["confirmed"] * 25 + ["unreviewed"] * 15
    assert run(tmp_path, labels, reviewed, capsys)[0] == 0
    scores = json.loads((tmp_path / "review" / "scores.json").read_text())
    assert scores["reviewed"] == 25 and "25 of 40 sampled reports reviewed" in scores["notes"][0]


def one_line_error(code: int, err: str) -> str:
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("cxrlabel: error: ")
    return err


def test_an_id_outside_the_sample_is_refused(review, capsys):
    tmp_path, labels, reviewed = review
    reviewed.loc[3, "id"] = "not-sampled"
    code, _, err = run(tmp_path, labels, reviewed, capsys)
    assert "row 5: id 'not-sampled' is not in the sample" in one_line_error(code, err)


def test_labels_changed_since_sampling_are_refused(review, capsys):
    tmp_path, labels, reviewed = review
    frame = pd.read_csv(labels, dtype=str, keep_default_na=False)
    frame.loc[0, "Edema"] = "1.0" if frame.loc[0, "Edema"] != "1.0" else "0.0"
    frame.to_csv(labels, index=False)
    code, _, err = run(tmp_path, labels, reviewed, capsys)
    assert "differs from the labels the sample was drawn from" in one_line_error(code, err)


@pytest.mark.parametrize("damage, message", [
    (lambda r: r.drop(columns="Edema"), "no column 'Edema'"),
    (lambda r: r.assign(Edema="maybe"), "row 2, column 'Edema': a cell of 5 characters, not quoted"),
    (lambda r: pd.concat([r, r.head(1)]), "appears more than once"),
    (lambda r: r.assign(status="unreviewed"), "no reviewed report yet"),
])
def test_a_damaged_review_is_refused_in_one_line(review, capsys, damage, message):
    tmp_path, labels, reviewed = review
    code, _, err = run(tmp_path, labels, damage(reviewed), capsys)
    assert message in one_line_error(code, err)


def test_a_folder_that_is_no_sample_is_refused(tmp_path, capsys):
    (tmp_path / "labels.csv").write_text("id,Reports,Edema\na,x,1.0\n")
    (tmp_path / "reviewed.csv").write_text("id,Edema\na,1.0\n")
    code = main(["evaluate", str(tmp_path / "labels.csv"), str(tmp_path / "reviewed.csv"), "--sample", str(tmp_path)])
    assert "not a sample folder" in one_line_error(code, capsys.readouterr().err)
