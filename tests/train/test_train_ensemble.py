"""Top-k checkpoints, --ensemble and --tta in evaluate and predict; TensorBoard logs when installed."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from cxrtrain.cli import main
from cxrtrain.training.fit import fit

from .synthetic import quick_options


@pytest.fixture(scope="module")
def top_run(small, cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "top"
    fit(quick_options(small, out, cache_dir, epochs=3, keep_top=2, augment=True, select_by="auc"))
    return out


def test_keep_top_keeps_the_best_epochs_and_scores_their_ensemble(top_run):
    history = pd.read_csv(top_run / "history.csv")
    ensemble = json.loads((top_run / "ensemble.json").read_text())
    best_two = history.sort_values("val_mean_auc", ascending=False, kind="stable")["epoch"].head(2).tolist()
    assert sorted(ensemble["epochs"]) == sorted(best_two)
    assert sorted(p.name for p in (top_run / "checkpoints").iterdir()) == sorted(
        f"stage1_epoch{e:03d}.pt" for e in ensemble["epochs"])  # the third epoch's file was removed
    metrics = json.loads((top_run / "metrics.json").read_text())
    assert metrics["ensemble"]["members"] == ensemble["epochs"] and "mean_auc" in metrics["ensemble"]["test"]
    assert set(ensemble["thresholds"]) == {"Disc", "Bar"} and len(ensemble["temperatures"]) == 2


def test_evaluate_and_predict_with_ensemble_and_tta(top_run, quick_run, small, cache_dir, tmp_path, capsys):
    assert main(["evaluate", "--run", str(top_run), "--ensemble", "--tta", "--cache-dir", str(cache_dir)]) == 0
    report = json.loads((top_run / "evaluation_ensemble_tta.json").read_text())
    assert report["model"].startswith("ensemble of 2") and report["tta"] == "mean over 6 fixed views"
    outputs = {}
    for name, extra in (("plain", []), ("ensemble", ["--ensemble"]), ("tta", ["--tta"])):
        assert main(["predict", "--run", str(top_run), "--images", str(small / "images"), "-o",
                     str(tmp_path / f"{name}.csv"), "--cache-dir", str(cache_dir), *extra]) == 0
        outputs[name] = pd.read_csv(tmp_path / f"{name}.csv")[["prob_Disc", "prob_Bar"]].to_numpy()
    assert not np.allclose(outputs["plain"], outputs["ensemble"]) and not np.allclose(outputs["plain"], outputs["tta"])
    assert main(["evaluate", "--run", str(quick_run), "--ensemble"]) == 2
    assert "kept a single checkpoint; fit with --keep-top" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard (train extra) not installed")
def test_tensorboard_logs_are_written(top_run):
    assert any((top_run / "tensorboard").glob("events.out.tfevents.*"))
