"""The public datasets' own tables, recognised from their columns (CheXpert, NIH ChestX-ray14, MIMIC-CXR-JPG)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxrlabel.errors import UserError
from cxrtrain.cli import main

from .synthetic import flat_image, make_chexpert, read_labels



def test_chexpert_patient_comes_from_the_path(tmp_path):
    top = make_chexpert(tmp_path, n_patients=6, size=16)
    data = read_labels(top / "train.csv", tmp_path, observations=["Cardiomegaly"])
    assert data.layout == "CheXpert" and data.patient_source == "the patientNNNNN folder in column 'Path'"
    assert all(g.startswith("patient") for g in data.groups) and all(p.is_file() for p in data.paths)
    frontal = read_labels(top / "train.csv", tmp_path, observations=["Cardiomegaly"], frontal_only=True)
    table = pd.read_csv(top / "train.csv")
    assert len(frontal.paths) == (table["Frontal/Lateral"] == "Frontal").sum() < len(table)
    # line numbers still name the rows of train.csv after the lateral views are dropped
    assert all(table.loc[line - 2, "Frontal/Lateral"] == "Frontal" for line in frontal.lines)


def test_nih_finding_labels_become_observations(tmp_path):
    rows = [("00000001_000.png", "Cardiomegaly", "1", "PA"), ("00000001_001.png", "Cardiomegaly|Effusion", "1", "AP"),
            ("00000002_000.png", "No Finding", "2", "PA"), ("00000003_000.png", "Effusion", "3", "PA")]
    table = pd.DataFrame(rows, columns=["Image Index", "Finding Labels", "Patient ID", "View Position"])
    table["Follow-up #"], table["Patient Age"] = "0", "58"
    table.to_csv(tmp_path / "Data_Entry_2017.csv", index=False)
    for i, (name, *_) in enumerate(rows):  # spread over the archive's folders as NIH ships them
        flat_image(tmp_path / f"images_00{1 + i % 2}" / "images" / name)
    data = read_labels(tmp_path / "Data_Entry_2017.csv", tmp_path)
    assert data.layout == "NIH ChestX-ray14" and data.patient_source == "column 'Patient ID'"
    assert data.task.outputs == ["Cardiomegaly", "Effusion", "No Finding"]
    np.testing.assert_array_equal(data.task.values, [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 0]])
    assert data.groups == ["1", "1", "2", "3"] and all(p.is_file() for p in data.paths)


def _mimic(tmp_path: Path) -> Path:
    labels = pd.DataFrame({"subject_id": ["10000032", "10000032", "10000764"], "study_id": ["50414267", "53189527",
                           "57375967"], "Cardiomegaly": ["1.0", "", "-1.0"], "Edema": ["0.0", "1.0", ""]})
    labels.to_csv(tmp_path / "mimic-cxr-2.0.0-chexpert.csv", index=False)
    meta = pd.DataFrame({"dicom_id": ["a1", "a2", "b1", "c1"], "subject_id": ["10000032", "10000032", "10000032",
                         "10000764"], "study_id": ["50414267", "50414267", "53189527", "57375967"],
                         "ViewPosition": ["PA", "LATERAL", "AP", "PA"], "Rows": ["3056"] * 4})
    meta.to_csv(tmp_path / "mimic-cxr-2.0.0-metadata.csv", index=False)
    for dicom, subject, study in zip(meta["dicom_id"], meta["subject_id"], meta["study_id"]):
        flat_image(tmp_path / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom}.jpg")
    return tmp_path / "mimic-cxr-2.0.0-chexpert.csv"


def test_mimic_studies_joined_with_their_images(tmp_path):
    labels = _mimic(tmp_path)
    data = read_labels(labels, tmp_path)
    assert data.layout == "MIMIC-CXR-JPG" and data.patient_source == "column 'subject_id'"
    assert data.task.outputs == ["Cardiomegaly", "Edema"]  # ids and the metadata's numbers are no observations
    assert len(data.paths) == 4 and all(p.is_file() for p in data.paths)
    assert data.groups == ["10000032", "10000032", "10000032", "10000764"]
    frontal = read_labels(labels, tmp_path, frontal_only=True)
    assert [p.stem for p in frontal.paths] == ["a1", "b1", "c1"]
    assert list(frontal.lines) == [2, 3, 4]  # the study's line in the label CSV
    (tmp_path / "mimic-cxr-2.0.0-metadata.csv").unlink()
    with pytest.raises(UserError, match="give metadata mimic-cxr-2.0.0-metadata.csv"):
        read_labels(labels, tmp_path)


def test_no_patient_column_is_a_loud_warning(small, cache_dir, tmp_path, capsys):
    table = pd.read_csv(small / "labels.csv", dtype=str, keep_default_na=False).drop(columns=["patient_id"])
    table.to_csv(tmp_path / "labels.csv", index=False)
    assert main(["fit", "--labels", str(tmp_path / "labels.csv"), "--images", str(small), "--out", str(tmp_path / "run"),
                 "--arch", "resnet18", "--image-size", "32", "--epochs", "1", "--batch-size", "8", "--lr", "1e-3",
                 "--cache-dir", str(cache_dir), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: no patient id column found, so the split is by IMAGE" in err and "!" * 100 in err
    assert "Give the patient column with --split-column" in err  # the command line words a setting as its flag
    warnings = json.loads((tmp_path / "run" / "metrics.json").read_text())["warnings"]
    assert any(w.startswith("WARNING: no patient id") and w.endswith("with split_column") for w in warnings)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert not [w for w in warnings + config["warnings"] + config["notes"] if "--" in w]  # stored: names, no flags
    assert config["layout"] == "cxrlabel table" and config["patient_column"] is None
    with pytest.raises(UserError, match="frontal_only needs a view column"):
        read_labels(tmp_path / "labels.csv", small, frontal_only=True)


def test_another_table_without_views_is_evaluated_whole_by_a_frontal_only_run(tmp_path, small):
    data = read_labels(small / "labels.csv", small, frontal_only=True, view_required=False)
    assert len(data.paths) == 64 and "no view column: every image is used" in data.layout_notes[0]
