"""Sanity warnings: a model that answers the same for every image, and a best epoch far below the best AUC."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cxrtrain.cli import main
from cxrtrain.training.fit import fit
from cxrtrain.training.sanity import best_epoch_warning, constant_output_warning
from cxrtrain.training.state import HistoryRow

from .synthetic import quick_options


def test_best_epoch_by_loss_far_below_the_best_auc_is_said():
    history = [HistoryRow(stage=1, epoch=epoch, train_loss=0.5, val_loss=0.5, val_mean_auc=auc, best_val_loss=0.5,
                          improved=True, images_per_s=1.0, seconds=1.0, lr=1e-3)
               for epoch, auc in ((1, 0.84), (2, 0.53))]
    warning = best_epoch_warning(history, 1, 2, "loss")
    assert "epoch 2 (val mean AUC 0.530), but epoch 1 reached val mean AUC 0.840" in warning
    assert "$select_by auc" in warning  # worded by the interface: --select-by in the log, select_by stored
    assert best_epoch_warning(history, 1, 1, "loss") is None
    assert best_epoch_warning(history, 1, 1, "auc") is None


def test_constant_output_is_flagged_but_a_varying_one_is_not():
    flat = np.full((5, 2), 0.3) + np.linspace(0, 1e-5, 5)[:, None]
    assert "same output for every test image" in constant_output_warning({"test": flat})
    assert constant_output_warning({"test": np.linspace(0.1, 0.9, 10).reshape(5, 2)}) is None


def test_identical_images_give_the_constant_output_warning_in_metrics(small, cache_dir, tmp_path, capsys):
    labels = pd.read_csv(small / "labels.csv", dtype=str, keep_default_na=False)
    pixels = (small / "images" / "img0000.png").read_bytes()
    (tmp_path / "copies").mkdir()
    for i in range(len(labels)):  # every row shows the same picture (one file listed twice would be refused)
        (tmp_path / "copies" / f"{i}.png").write_bytes(pixels)
    labels["Path"] = [f"copies/{i}.png" for i in range(len(labels))]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    result = fit(quick_options(small, tmp_path / "run", cache_dir, labels=str(tmp_path / "labels.csv"),
                               images=str(tmp_path), epochs=1))
    assert any("same output for every" in w for w in result["warnings"])
    assert "same output for every" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["warnings"] == result["warnings"]


def test_config_replays_a_run_with_overrides(quick_run, cache_dir, tmp_path, capsys):
    code = main(["fit", "--config", str(quick_run / "config.json"), "--out", str(tmp_path / "replay"),
                 "--epochs", "1", "--optimizer", "sgd", "--lr", "0.01", "--lr-schedule", "step",
                 "--operating-point", "youden"])
    assert code == 0
    saved = json.loads((quick_run / "config.json").read_text())["options"]
    replay = json.loads((tmp_path / "replay" / "config.json").read_text())["options"]
    assert replay["optimizer"] == "sgd" and replay["lr"] == 0.01 and replay["epochs"] == 1
    assert {k: v for k, v in replay.items() if k not in {"out", "optimizer", "lr", "lr_schedule", "epochs",
                                                         "operating_point"}} == \
        {k: v for k, v in saved.items() if k not in {"out", "optimizer", "lr", "lr_schedule", "epochs",
                                                     "operating_point"}}
    thresholds = json.loads((tmp_path / "replay" / "thresholds.json").read_text())
    assert all(t["rule"] == "youden" for t in thresholds.values())
    assert main(["fit", "--out", str(tmp_path / "none")]) == 2
    assert "fit needs --labels and --images (or --config" in capsys.readouterr().err
