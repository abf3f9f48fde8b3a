"""End to end through the command line: fit, evaluate, predict, cam; resume; tasks; user errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from cxrtrain.cli import main
from cxrtrain.training.fit import fit

from .synthetic import make_dataset, quick_options


def test_fit_learns_the_planted_signal(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    test = metrics["test"]
    assert test["split"] == "test" and test["observations"]["Disc"]["split"] == "test"
    aucs = {name: m["auc"] for name, m in test["observations"].items()}
    print(f"synthetic held-out (test) AUC: {aucs}")
    assert set(aucs) == {"Disc", "Bar"}  # id, patient_id, Reports, n_labels are not observations
    assert min(aucs.values()) > 0.9
    assert test["mean_average_precision"] > 0.9
    low, high = test["observations"]["Disc"]["auc_95ci"]
    assert low <= test["observations"]["Disc"]["auc"] <= high
    assert 0 <= test["observations"]["Disc"]["calibration_error"] < 0.5
    for name in ("config.json", "split.csv", "skipped_images.csv", "history.csv", "best.pt", "last.pt",
                 "thresholds.json", "calibration.json", "roc_val.png", "roc_test.png", "reliability_val.png",
                 "reliability_test.png", "log.txt"):
        assert (trained_run / name).is_file(), name
    split = pd.read_csv(trained_run / "split.csv", dtype=str)
    assert split.groupby("patient")["split"].nunique().max() == 1  # no patient in two splits
    history = pd.read_csv(trained_run / "history.csv")
    assert len(history) == 5 and history["val_loss"].min() == pytest.approx(metrics["best_val_loss"], abs=1e-5)
    thresholds = json.loads((trained_run / "thresholds.json").read_text())
    assert test["observations"]["Disc"]["threshold"] == pytest.approx(thresholds["Disc"]["threshold"], abs=1e-6)
    assert "synthetic." not in (trained_run / "log.txt").read_text()  # report text is never logged


def test_evaluate_predict_and_cam_commands(trained_run, synthetic, cache_dir, tmp_path, capsys):
    assert main(["evaluate", "--run", str(trained_run), "--cache-dir", str(cache_dir)]) == 0
    evaluation = json.loads((trained_run / "evaluation.json").read_text())
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert evaluation["test"]["mean_auc"] == pytest.approx(metrics["test"]["mean_auc"], abs=1e-6)
    # another table: all rows are scored, under a split named after the file
    other = tmp_path / "other"
    make_dataset(other, n=40, size=64, seed=9)
    assert main(["evaluate", "--run", str(trained_run), "--labels", str(other / "labels.csv"), "--images", str(other),
                 "--cache-dir", str(cache_dir)]) == 0
    external = json.loads((trained_run / "evaluation_labels.json").read_text())
    assert external["labels"]["n_images"] == 40 and external["labels"]["mean_auc"] > 0.9
    (other / "images" / "broken.png").write_bytes(b"not an image")
    assert main(["predict", "--run", str(trained_run), "--images", str(other / "images"), "-o",
                 str(tmp_path / "pred.csv"), "--cache-dir", str(cache_dir)]) == 0
    predictions = pd.read_csv(tmp_path / "pred.csv")
    assert list(predictions.columns) == ["image", "prob_Disc", "prob_Bar", "label_Disc", "label_Bar", "error"]
    broken = predictions["image"].str.endswith("broken.png")
    assert predictions.loc[broken, "error"].str.contains("unreadable").all()
    assert predictions.loc[~broken, "prob_Disc"].between(0, 1).all() and len(predictions) == 41
    truth = pd.read_csv(other / "labels.csv").set_index("Path")["Bar"]
    good = predictions[~broken]
    named = good["image"].map(lambda p: "images/" + p.rsplit("/", 1)[-1])
    assert (good["label_Bar"].to_numpy() == truth.loc[named].to_numpy()).mean() > 0.85
    images = [str(other / "images" / "img0000.png"), str(other / "images" / "img0001.png")]
    assert main(["cam", "--run", str(trained_run), *images, "--out", str(tmp_path / "cams")]) == 0
    written = sorted(p.name for p in (tmp_path / "cams").glob("*.png"))
    assert len(written) == 2 and all("_gradcam_" in name for name in written)


def test_user_errors_exit_2_with_a_message(synthetic, tmp_path, capsys):
    base = ["fit", "--labels", str(synthetic / "labels.csv"), "--images", str(synthetic), "--out", str(tmp_path / "r"),
            "--arch", "resnet18", "--image-size", "32", "--epochs", "1", "--cache-dir", str(tmp_path / "c")]
    assert main(base + ["--observations", "Disc,Edema"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxrtrain: error: unknown observation 'Edema'") and "'Reports'" in err
    assert "Traceback" not in err
    assert main(base + ["--path-column", "file"]) == 2
    assert "no column 'file'" in capsys.readouterr().err
    assert main(base + ["--policy-per-observation", "Bar=u-sometimes"]) == 2
    assert "unknown policy" in capsys.readouterr().err
    assert main(["evaluate", "--run", str(tmp_path)]) == 2
    assert "not a cxrtrain run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(base + ["--arch", "alexnet"])
    assert "invalid choice: 'alexnet'" in capsys.readouterr().err


def test_resume_after_a_kill_matches_an_uninterrupted_run(small, cache_dir, tmp_path, capsys):
    fit(quick_options(small, tmp_path / "whole", cache_dir))

    def kill(stage: int, epoch: int) -> None:
        if epoch == 1:
            raise KeyboardInterrupt  # as if the job were killed right after epoch 1 was saved

    with pytest.raises(KeyboardInterrupt):
        fit(quick_options(small, tmp_path / "killed", cache_dir), on_epoch_end=kill)
    assert len(pd.read_csv(tmp_path / "killed" / "history.csv")) == 1
    # starting again without --resume is refused; with --resume it continues from epoch 2
    assert main(["fit", "--labels", str(small / "labels.csv"), "--images", str(small), "--out", str(tmp_path / "killed"),
                 "--cache-dir", str(cache_dir)]) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main(["fit", "--labels", str(small / "labels.csv"), "--images", str(small), "--out", str(tmp_path / "killed"),
                 "--resume", "--arch", "densenet121"]) == 2
    assert "--arch (saved 'resnet18', now 'densenet121')" in capsys.readouterr().err
    assert main(["fit", "--labels", str(small / "labels.csv"), "--images", str(small), "--out", str(tmp_path / "killed"),
                 "--resume", "--no-progress"]) == 0
    whole = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)
    resumed = torch.load(tmp_path / "killed" / "last.pt", weights_only=True)
    for key, value in whole["model"].items():
        assert torch.allclose(value.float(), resumed["model"][key].float(), atol=1e-6), key
    a, b = (pd.read_csv(tmp_path / run / "history.csv") for run in ("whole", "killed"))
    assert len(b) == 3
    np.testing.assert_allclose(a[["train_loss", "val_loss"]], b[["train_loss", "val_loss"]], atol=1e-6)
    assert json.loads((tmp_path / "killed" / "metrics.json").read_text())["best_epoch"] == a["val_loss"].idxmin() + 1


@pytest.mark.parametrize("changes,check", [
    (dict(task="multiclass", class_weights="balanced", oversample=True), "multiclass"),
    (dict(task="binary"), "binary"),
    (dict(policy="u-selftrained", policy_per_observation="Bar=u-multiclass", blank="ignore", epochs=2), "selftrained"),
])
def test_tasks_and_policies_run_end_to_end(small, cache_dir, tmp_path, changes, check):
    result = fit(quick_options(small, tmp_path / "run", cache_dir, **changes))
    test = result["test"]
    if check == "multiclass":
        assert set(test["classes"]) == {"Disc", "Bar"} and test["top3_sensitivity"] == 1.0  # 2 classes: always top 3
        assert np.array(test["confusion_matrix"]["rows_true_columns_predicted"]).sum() == test["n_images"]
        assert any("exactly one label" in note for note in result["notes"])
    elif check == "binary":
        assert list(test["observations"]) == ["abnormal"]
        abnormal = test["observations"]["abnormal"]
        labels = pd.read_csv(small / "labels.csv")
        split = pd.read_csv(tmp_path / "run" / "split.csv")
        in_test = labels[split["split"] == "test"]
        assert abnormal["positives"] == int(((in_test["Disc"] == 1) | (in_test["Bar"] == 1)).sum())
        assert abnormal["auc"] is not None or "only positive labels" in abnormal["auc_note"]
    else:
        history = pd.read_csv(tmp_path / "run" / "history.csv")
        assert history["stage"].tolist() == [1, 1, 2, 2]  # U-Ignore stage, then the relabelled stage
        assert (tmp_path / "run" / "stage1_best.pt").is_file()
        assert json.loads((tmp_path / "run" / "best.pt").exists() and (tmp_path / "run" / "config.json").read_text())[
            "model"]["widths"] == [1, 3]


def test_single_class_split_reports_null_auc_with_reason(small, cache_dir, tmp_path):
    labels = pd.read_csv(small / "labels.csv", dtype=str, keep_default_na=False)
    labels["Rare"] = "0.0"
    labels.loc[0, "Rare"] = "1.0"  # one positive: at most one split can see it
    labels.to_csv(tmp_path / "labels.csv", index=False)
    result = fit(quick_options(small, tmp_path / "run", cache_dir, labels=str(tmp_path / "labels.csv"), epochs=1))
    notes = [result[s]["observations"]["Rare"].get("auc_note", "") for s in ("val", "test")]
    assert any("only negative labels" in note for note in notes)
    assert any(result[s]["observations"]["Rare"]["auc"] is None for s in ("val", "test"))
