"""What the trainer's commands accept as images and what they say about the ones they cannot use."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from PIL import Image

from cxrtrain.cli import main
from cxrtrain.data.images import decode_gray


def test_predict_takes_one_image_file(quick_run, small, cache_dir, tmp_path, capsys):
    image = small / "images" / "img0003.png"
    assert main(["predict", "--run", str(quick_run), "--images", str(image), "-o", str(tmp_path / "p.csv"),
                 "--cache-dir", str(cache_dir)]) == 0
    table = pd.read_csv(tmp_path / "p.csv")
    assert table["image"].tolist() == [str(image)] and table["prob_Disc"].notna().all()
    assert main(["predict", "--run", str(quick_run), "--images", str(tmp_path / "nope.png"),
                 "-o", str(tmp_path / "q.csv")]) == 2
    assert "no such folder or file" in capsys.readouterr().err


def test_evaluate_on_another_table_names_the_images_it_skipped(quick_run, small, cache_dir, tmp_path, capsys):
    table = pd.read_csv(small / "labels.csv", dtype=str, keep_default_na=False)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    table["Path"] = [str(small / p) for p in table["Path"]]
    table.loc[3, "Path"] = str(tmp_path / "missing.png")
    table.loc[5, "Path"] = str(tmp_path / "broken.png")
    table.to_csv(tmp_path / "other.csv", index=False)
    assert main(["evaluate", "--run", str(quick_run), "--labels", str(tmp_path / "other.csv"), "--images", str(small),
                 "-o", str(tmp_path / "e.json"), "--cache-dir", str(cache_dir)]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 unreadable or missing images, not evaluated (e.g. line 5 " in err
    assert "missing.png: file not found" in err
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["skipped_images"] == 2
    assert [(s["line"], s["image"]) for s in result["skipped"]] == [(5, str(tmp_path / "missing.png")),
                                                                    (7, str(tmp_path / "broken.png"))]
    assert result["skipped"][1]["reason"].startswith("unreadable image")


def test_a_png_named_dcm_is_read_as_the_png_it_is(tmp_path):
    pixels = np.arange(64, dtype=np.uint8).reshape(8, 8) * 3
    Image.fromarray(pixels).save(tmp_path / "scan.png")
    (tmp_path / "scan.dcm").write_bytes((tmp_path / "scan.png").read_bytes())
    np.testing.assert_array_equal(decode_gray(tmp_path / "scan.dcm"), pixels)
