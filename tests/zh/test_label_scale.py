"""`zh label` on the archive engine of `extract`: chunks, workers, parts, --resume and Dask give the output of
one unchunked pass, byte for byte, and --resume refuses a run whose reviewed files changed."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.zh import label_run

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh"
REPORTS = CORPUS / "reports.csv"


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "mined"
    assert main(["zh", "mine", str(REPORTS), "--column", "诊断", "-k", "10", "--out", str(out)]) == 0
    edited = pd.read_csv(out / "label_map.csv", dtype=str, keep_default_na=False)
    edited.loc[0, "label"] = "-"  # a reviewed map: one cluster dropped
    edited.to_csv(out / "reviewed.csv", index=False)
    pd.DataFrame({"clause": ["心影增大"], "label": ["heart_override"]}).to_csv(out / "clause_overrides.csv", index=False)
    return out


def _label(mined: Path, output: Path, *extra: object) -> int:
    return main(["zh", "label", str(REPORTS), "--label-map", str(mined / "reviewed.csv"), "-o", str(output),
                 *map(str, extra)])


@pytest.fixture(scope="module")
def whole(mined, tmp_path_factory) -> bytes:
    """The output of one pass: a single chunk, a single batch, in this process."""
    out = tmp_path_factory.mktemp("whole") / "labels.csv"
    assert _label(mined, out, "--chunk-size", 100_000, "--batch-size", 100_000, "--workers", 1) == 0
    return out.read_bytes()


def test_whole_pass_has_every_row_and_the_override(whole):
    frame = pd.read_csv(pd.io.common.BytesIO(whole))
    reports = pd.read_csv(REPORTS, dtype=str, keep_default_na=False)
    assert frame["id"].tolist() == reports["id"].tolist()
    assert frame["heart_override"].eq(1.0).sum() > 0  # clause_overrides.csv beside the map is honoured


def test_chunked_output_equals_unchunked(mined, whole, tmp_path):
    out = tmp_path / "labels.csv"
    assert _label(mined, out, "--chunk-size", 37, "--batch-size", 11, "--workers", 1) == 0
    assert out.read_bytes() == whole
    assert not (tmp_path / "labels.csv.parts").exists()  # parts go once the output is written


def test_two_workers_equal_one(mined, whole, tmp_path):
    out = tmp_path / "labels.csv"
    assert _label(mined, out, "--chunk-size", 150, "--batch-size", 40, "--workers", 2) == 0
    assert out.read_bytes() == whole


def test_parquet_output_holds_the_same_labels(mined, whole, tmp_path):
    out = tmp_path / "labels.parquet"
    assert _label(mined, out, "--chunk-size", 100, "--workers", 1) == 0
    expected = pd.read_csv(pd.io.common.BytesIO(whole), dtype=str, keep_default_na=False)
    got = pd.read_parquet(out)
    assert list(got.columns) == list(expected.columns)
    assert got["n_labels"].astype(str).tolist() == expected["n_labels"].tolist()


def test_a_run_killed_midway_resumes_to_the_same_file(mined, whole, tmp_path, monkeypatch, capsys):
    out = tmp_path / "labels.csv"
    real = label_run.label_zh_chunk

    def dies_on_the_third_chunk(task, spec):
        if task.index == 2:
            raise KeyboardInterrupt  # as Ctrl-C or a kill between parts
        return real(task, spec)

    monkeypatch.setattr(label_run, "label_zh_chunk", dies_on_the_third_chunk)  # zh label imports it when it runs
    assert _label(mined, out, "--chunk-size", 50, "--batch-size", 50, "--workers", 1) == 130  # 128 + SIGINT
    assert not out.exists()
    manifest = json.loads((tmp_path / "labels.csv.parts" / "manifest.json").read_text(encoding="utf-8"))
    # results are taken in chunk order: every part before the one that died is kept, nothing after it
    assert [p["rows"] for p in manifest["parts"]] == [50, 50]
    monkeypatch.setattr(label_run, "label_zh_chunk", real)
    assert _label(mined, out, "--batch-size", 50, "--workers", 1) == 2  # parts there: --resume or delete them
    assert "--resume" in capsys.readouterr().err
    assert _label(mined, out, "--resume", "--batch-size", 50, "--workers", 1) == 0  # chunk size from the manifest
    assert "100 rows in 2 parts are done" in capsys.readouterr().err
    assert out.read_bytes() == whole


@pytest.mark.parametrize("change", ["label map", "overrides", "model"])
def test_resume_refuses_after_a_reviewed_file_changed(mined, tmp_path, capsys, change):
    copy = tmp_path / "mined"
    shutil.copytree(mined, copy)
    out = tmp_path / "labels.csv"
    assert _label(copy, out, "--chunk-size", 100, "--keep-parts", "--workers", 1) == 0
    manifest = out.with_name("labels.csv.parts") / "manifest.json"
    state = json.loads(manifest.read_text(encoding="utf-8"))
    state["parts"] = state["parts"][:2]  # as if stopped after two parts
    manifest.write_text(json.dumps(state), encoding="utf-8")
    if change == "label map":
        edited = pd.read_csv(copy / "reviewed.csv", dtype=str, keep_default_na=False)
        edited.loc[1, "label"] = "renamed"
        edited.to_csv(copy / "reviewed.csv", index=False)
        named = "the contents of --label-map"
    elif change == "overrides":
        (copy / "clause_overrides.csv").unlink()
        named = "the clause overrides file"
    else:
        model = json.loads((copy / "model.json").read_text(encoding="utf-8"))
        model["seed"] += 1
        (copy / "model.json").write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
        named = "the contents of model.json"
    capsys.readouterr()
    assert _label(copy, out, "--resume", "--workers", 1) == 2
    err = capsys.readouterr().err
    assert "cannot --resume" in err and named in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_scale_options_are_checked(mined, tmp_path, capsys):
    assert _label(mined, tmp_path / "o.csv", "--chunk-size", 0) == 2
    assert _label(mined, tmp_path / "o.csv", "--scheduler", "tcp://127.0.0.1:1") == 2
    assert "--scheduler is for --engine dask" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed is not installed (pip install 'cxrlabel[dask]')")
def test_dask_engine_equals_the_local_engine(mined, whole, tmp_path):
    out = tmp_path / "labels.csv"
    assert _label(mined, out, "--engine", "dask", "--workers", 2, "--chunk-size", 150, "--batch-size", 50) == 0
    assert out.read_bytes() == whole
