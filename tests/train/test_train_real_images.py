"""Integration on the real radiographs in ../shared/data/cxr (mixed JPEG/PNG, gray/RGB/RGBA, 224-4280 px)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from cxrtrain.cli import main

from .conftest import SHARED_CXR


@pytest.mark.skipif(not (SHARED_CXR / "labels.csv").is_file(),
                    reason=f"real images not present at {SHARED_CXR} (they are never copied into the repo)")
def test_fit_on_real_images_loads_every_image(tmp_path, cache_dir):
    out = tmp_path / "real"
    code = main(["fit", "--labels", str(SHARED_CXR / "labels.csv"), "--images", str(SHARED_CXR), "--out", str(out),
                 "--arch", "resnet18", "--image-size", "64", "--epochs", "2", "--cache-dir", str(cache_dir),
                 "--workers", "2", "--no-progress"])
    assert code == 0
    skipped = pd.read_csv(out / "skipped_images.csv")
    assert len(skipped) == 0, skipped.to_string()
    config = json.loads((out / "config.json").read_text())
    assert config["path_column"] == "image_path" and config["patient_column"] == "patient_id"
    assert config["model"]["outputs"] == ["No Finding", "COVID-19", "Pneumonia", "ARDS", "Tuberculosis", "abnormal"]
    split = pd.read_csv(out / "split.csv", dtype=str, keep_default_na=False)
    assert len(split) == 288 and split.groupby("patient")["split"].nunique().max() == 1
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped_images"] == 0
    test = metrics["test"]["observations"]
    # Tuberculosis has 2 positives in 288 images: in most splits its AUC is undefined, and says why
    for name, m in test.items():
        assert m["split"] == "test"
        assert m["auc"] is not None or m["auc_note"].startswith("undefined")
    print("real images:", {k: v["auc"] for k, v in test.items()}, "mean AUC", metrics["test"]["mean_auc"])
