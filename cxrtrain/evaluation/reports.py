"""The reports of a model on labelled splits: its calibrated probabilities scored against the labels, with the
temperatures and thresholds chosen on validation and applied unchanged to test."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..model.losses import probabilities
from . import metrics
from .calibration import fit_temperatures


def split_reports(task: str, outputs: list[str], widths: list[int], blank: str, split: str, values: np.ndarray,
                  logits: np.ndarray, thresholds: dict, roc_dir: Path | None,
                  temperatures: list[float] | None = None) -> dict:
    """Metrics of one split from its raw label values and logits (calibrated by `temperatures`)."""
    probs = probabilities(task, widths, torch.from_numpy(logits), temperatures).numpy()
    if task == "multiclass":
        return metrics.multiclass_report(split, values[:, 0], probs, outputs, roc_dir)
    return metrics.multilabel_report(split, values, probs, outputs, blank, thresholds, roc_dir)


def calibrate_and_score(task: str, outputs: list[str], widths: list[int], blank: str, operating_point: str,
                        values: dict[str, np.ndarray], logits: dict[str, np.ndarray],
                        roc_dir: Path | None) -> tuple[dict, dict, dict]:
    """(calibration, thresholds, per-split reports) of one model's (or an ensemble's) "val" and "test" label
    values and logits: temperatures and thresholds from validation, applied unchanged to test."""
    temperatures, notes = fit_temperatures(task, widths, outputs, logits["val"], values["val"], blank)
    if task == "multiclass":
        thresholds: dict = {"rule": "argmax: the most probable class is the prediction"}
    else:
        val_probs = probabilities(task, widths, torch.from_numpy(logits["val"]), temperatures).numpy()
        thresholds = metrics.thresholds_from(values["val"], val_probs, outputs, blank, operating_point)
    reports = {}
    for split in ("val", "test"):
        if len(values[split]) == 0:
            reports[split] = {"split": split, "n_images": 0, "note": "empty split: nothing to evaluate"}
            continue
        reports[split] = split_reports(task, outputs, widths, blank, split, values[split], logits[split], thresholds,
                                       roc_dir, temperatures)
    calibration = {"method": "temperature scaling on the validation split (probability = sigmoid(score / T))",
                   "temperatures": temperatures, "notes": notes}
    return calibration, thresholds, reports
