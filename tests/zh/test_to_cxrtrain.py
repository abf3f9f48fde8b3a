"""The whole path from Chinese reports to a trained model: zh mine, zh label, cxrtrain fit on tiny images."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxrlabel.cli import main as cxrlabel_main

pytest.importorskip("torch")
pytest.importorskip("torchvision")

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh" / "reports.csv"
N_REPORTS = 80


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The README's path: zh mine, zh label, then cxrtrain fit with --id-column and --image-pattern only."""
    from PIL import Image

    from cxrtrain.cli import main as cxrtrain_main

    tmp_path = tmp_path_factory.mktemp("to_cxrtrain")
    reports = pd.read_csv(CORPUS, dtype=str, keep_default_na=False).head(N_REPORTS)
    reports.to_csv(tmp_path / "reports.csv", index=False)
    assert cxrlabel_main(["zh", "mine", str(tmp_path / "reports.csv"), "-k", "6", "--out", str(tmp_path / "mined")]) == 0
    labels = tmp_path / "labels.csv"
    assert cxrlabel_main(["zh", "label", str(tmp_path / "reports.csv"), "--label-map",
                          str(tmp_path / "mined" / "label_map.csv"), "-o", str(labels)]) == 0
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for report_id in reports["id"]:  # images named after the report id, as PACS exports often are
        Image.fromarray(rng.integers(0, 255, (40, 40), dtype=np.uint8)).save(images / f"{report_id}.png")
    run = tmp_path / "run"
    assert cxrtrain_main(["fit", "--labels", str(labels), "--images", str(images), "--out", str(run),
                          "--id-column", "id", "--image-pattern", "{id}.png", "--arch", "resnet18",
                          "--image-size", "32", "--epochs", "1", "--device", "cpu", "--no-progress",
                          "--cache-dir", str(tmp_path / "cache")]) == 0
    outputs = json.loads((run / "config.json").read_text(encoding="utf-8"))["model"]["outputs"]
    return pd.read_csv(labels), outputs


def test_every_zh_label_column_is_trained(trained):
    table, outputs = trained
    expected = [c for c in table.columns if c not in ("id", "诊断", "n_labels", "single_label", "unassigned")
                and table[c].notna().any()]
    assert set(expected) <= set(outputs) and "No Finding" in outputs and "Pleural Effusion" in outputs


def test_the_unassigned_count_is_no_observation(trained):
    _, outputs = trained
    assert "unassigned" not in outputs
