"""Export: one file with preprocessing and calibration inside, predicting what the run predicts."""
from __future__ import annotations

import importlib.util
import json
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from cxrtrain.cli import main
from cxrtrain.inference.export import read_description

ONNX_MISSING = importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnxscript") is None


def _predictions(run, small, cache_dir, tmp_path, *source: str) -> pd.DataFrame:
    out = tmp_path / f"{source[0].strip('-')}.csv"
    assert main(["predict", *source, "--images", str(small / "images"), "-o", str(out), "--cache-dir",
                 str(cache_dir)]) == 0
    return pd.read_csv(out)


def test_torchscript_export_takes_uint8_and_equals_predict_run(quick_run, small, cache_dir, tmp_path, capsys):
    model = tmp_path / "model.ts"
    assert main(["export", "--run", str(quick_run), "-o", str(model)]) == 0
    meta = read_description(model)
    assert meta["outputs"] == ["Disc", "Bar"] and meta["image_size"] == 32 and set(meta["thresholds"]) == {"Disc", "Bar"}
    loaded = torch.jit.load(str(model))
    probs = loaded(torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
    assert probs.shape == (3, 2) and bool(((probs > 0) & (probs < 1)).all())
    by_run = _predictions(quick_run, small, cache_dir, tmp_path, "--run", str(quick_run))
    by_model = _predictions(quick_run, small, cache_dir, tmp_path, "--model", str(model))
    np.testing.assert_allclose(by_model[["prob_Disc", "prob_Bar"]], by_run[["prob_Disc", "prob_Bar"]], atol=1e-4)
    # calibration is inside: the run's temperatures change its probabilities, and the export has them
    temperatures = json.loads((quick_run / "calibration.json").read_text())["temperatures"]
    assert len(temperatures) == 2 and all(t > 0 for t in temperatures)


def test_export_replaces_only_its_own_files(quick_run, tmp_path, capsys):
    model = tmp_path / "model.ts"
    assert main(["export", "--run", str(quick_run), "-o", str(model)]) == 0
    assert main(["export", "--run", str(quick_run), "-o", str(model)]) == 0  # an earlier export is replaced
    notes = tmp_path / "notes.ts"
    notes.write_text("my notes")
    assert main(["export", "--run", str(quick_run), "-o", str(notes)]) == 2
    assert "is not a cxrtrain export, so it is not replaced" in capsys.readouterr().err
    assert notes.read_text() == "my notes"
    assert main(["export", "--run", str(quick_run), "-o", str(quick_run / "best.pt")]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert main(["predict", "--model", str(notes), "--images", str(tmp_path), "-o", str(tmp_path / "p.csv")]) == 2
    assert "not a model written by cxrtrain export" in capsys.readouterr().err


def test_without_onnx_a_file_that_is_not_torchscript_is_said_to_need_onnx_not_called_foreign(tmp_path, monkeypatch,
                                                                                         capsys):
    """Only onnx can tell an ONNX export from another file; without it the missing package is the cause named."""
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07" + bytes(64))  # not a zip, so not TorchScript
    monkeypatch.setitem(sys.modules, "onnx", None)  # as when the onnx extra is not installed: import onnx fails
    assert main(["predict", "--model", str(model), "--images", str(tmp_path), "-o", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cxrtrain: error: --model {model}: is not TorchScript, and telling whether it is an ONNX "
                          "export needs the onnx package, which is not installed: pip install") and err.count("\n") == 1
    assert "not a model written by cxrtrain export" not in err


def test_an_export_whose_description_or_model_is_damaged_is_one_line(tmp_path, capsys):
    model = tmp_path / "model.ts"
    for description, said in (({"format": 1, "task": "multilabel"}, "its cxrtrain description is damaged (no "
                                                                      "'outputs'); export the run again"),
                              ({"task": "multilabel", "outputs": ["A"], "image_size": 32, "thresholds": {"A": 0.5}},
                               "cannot be loaded as TorchScript")):
        with zipfile.ZipFile(model, "w") as archive:  # our description, beside no TorchScript model
            archive.writestr("model/extra/cxrtrain.json", json.dumps(description))
        assert main(["predict", "--model", str(model), "--images", str(tmp_path), "-o", str(tmp_path / "p.csv")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"cxrtrain: error: --model {model}: {said}") and err.count("\n") == 1, err


@pytest.mark.skipif(ONNX_MISSING, reason="the onnx extra is not installed (pip install -e '.[onnx]')")
def test_onnx_export_equals_predict_run(quick_run, small, cache_dir, tmp_path):
    model = tmp_path / "model.onnx"
    assert main(["export", "--run", str(quick_run), "-o", str(model), "--format", "onnx"]) == 0
    assert read_description(model)["outputs"] == ["Disc", "Bar"]
    by_run = _predictions(quick_run, small, cache_dir, tmp_path, "--run", str(quick_run))
    by_model = _predictions(quick_run, small, cache_dir, tmp_path, "--model", str(model))
    np.testing.assert_allclose(by_model[["prob_Disc", "prob_Bar"]], by_run[["prob_Disc", "prob_Bar"]], atol=1e-4)


def test_the_format_follows_the_file_name_and_a_contradicting_format_is_refused(quick_run, tmp_path, capsys):
    onnx = tmp_path / "model.onnx"
    code = main(["export", "--run", str(quick_run), "-o", str(onnx)])
    out, err = capsys.readouterr()
    if ONNX_MISSING:  # ONNX is what model.onnx asks for: without the extra it is refused, never TorchScript
        assert code == 2 and "onnx extra" in err and not onnx.exists()
    else:
        assert code == 0 and f"as onnx to {onnx}" in out
        assert not zipfile.is_zipfile(onnx) and read_description(onnx)["outputs"] == ["Disc", "Bar"]
    for name in ("model.pt", "model.ts", "model"):
        assert main(["export", "--run", str(quick_run), "-o", str(tmp_path / name)]) == 0
        assert zipfile.is_zipfile(tmp_path / name), name  # TorchScript
    for name, fmt in (("other.onnx", "torchscript"), ("other.ts", "onnx")):
        assert main(["export", "--run", str(quick_run), "-o", str(tmp_path / name), "--format", fmt]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"cxrtrain: error: --format {fmt}: {tmp_path / name} is ") and "Traceback" not in err
        assert not (tmp_path / name).exists()
