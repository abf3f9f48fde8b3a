"""Issue 16's acceptance run: a CheXpert-layout folder trained with the issue's command line, then the
exported model predicts what the run predicts."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxrtrain.cli import main

from .synthetic import make_chexpert


@pytest.mark.slow
def test_chexpert_layout_fit_export_and_predict(tmp_path, cache_dir, capsys):
    top = make_chexpert(tmp_path / "data", n_patients=110, size=80)
    run = tmp_path / "runs" / "chexpert"
    code = main(["fit", "--labels", str(top / "train.csv"), "--images", str(tmp_path / "data"),
                 "--observations", "Cardiomegaly,Pleural Effusion", "--frontal-only", "--augment",
                 "--lr-schedule", "cosine", "--select-by", "auc", "--arch", "resnet18", "--image-size", "64",
                 "--epochs", "8", "--batch-size", "16", "--lr", "1e-3", "--out", str(run),
                 "--cache-dir", str(cache_dir)])
    assert code == 0
    err = capsys.readouterr().err
    assert "label table layout: CheXpert" in err
    assert "patient ids from the patientNNNNN folder in column 'Path'" in err
    assert "--frontal-only: kept" in err
    config = json.loads((run / "config.json").read_text())
    assert config["layout"] == "CheXpert" and config["model"]["outputs"] == ["Cardiomegaly", "Pleural Effusion"]
    split = pd.read_csv(run / "split.csv", dtype=str)
    assert split["image"].str.endswith("_frontal.jpg").all()  # no lateral view was kept
    assert split["patient"].str.fullmatch(r"patient\d{5}").all()
    assert split.groupby("patient")["split"].nunique().max() == 1
    metrics = json.loads((run / "metrics.json").read_text())
    print("CheXpert-layout held-out (test) AUC:", {k: v["auc"] for k, v in metrics["test"]["observations"].items()},
          "mean", metrics["test"]["mean_auc"])
    assert metrics["test"]["mean_auc"] >= 0.9
    assert metrics["select_by"] == "auc"
    history = pd.read_csv(run / "history.csv")
    assert metrics["best_epoch"] == history["val_mean_auc"].idxmax() + 1
    assert history["lr"].iloc[-1] < history["lr"].iloc[0]  # cosine
    # the official validation set, read with the same layout
    assert main(["evaluate", "--run", str(run), "--labels", str(top / "valid.csv"), "--images", str(tmp_path / "data"),
                 "--cache-dir", str(cache_dir)]) == 0
    valid = json.loads((run / "evaluation_valid.json").read_text())["valid"]
    assert valid["n_images"] == len(pd.read_csv(top / "valid.csv").query("`Frontal/Lateral` == 'Frontal'"))

    model = tmp_path / "model.ts"
    assert main(["export", "--run", str(run), "-o", str(model)]) == 0
    images = top / "valid"
    assert main(["predict", "--run", str(run), "--images", str(images), "-o", str(tmp_path / "run.csv"),
                 "--cache-dir", str(cache_dir)]) == 0
    assert main(["predict", "--model", str(model), "--images", str(images), "-o", str(tmp_path / "model.csv"),
                 "--cache-dir", str(cache_dir)]) == 0
    by_run, by_model = (pd.read_csv(tmp_path / name) for name in ("run.csv", "model.csv"))
    assert list(by_run.columns) == list(by_model.columns) and len(by_run) > 10
    probs = [c for c in by_run.columns if c.startswith("prob_")]
    np.testing.assert_allclose(by_model[probs].to_numpy(), by_run[probs].to_numpy(), atol=1e-4)
    assert (by_model.filter(like="label_").to_numpy() == by_run.filter(like="label_").to_numpy()).all()
