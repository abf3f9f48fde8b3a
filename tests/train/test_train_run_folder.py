"""A run folder belongs to one fit at a time, and what fit refuses or resumes, it says in one line."""
from __future__ import annotations

import json
import os
import re
import shutil

import pandas as pd
import pytest

import cxrtrain
from cxrlabel.errors import UserError
from cxrlabel.output_guard import is_ours
from cxrtrain import train
from cxrtrain.cli import main
from cxrtrain.train import fit

from .synthetic import quick_options


def fit_argv(data, out, cache_dir, *extra: str) -> list[str]:
    return ["fit", "--labels", str(data / "labels.csv"), "--images", str(data), "--out", str(out), "--arch",
            "resnet18", "--image-size", "32", "--epochs", "2", "--batch-size", "8", "--lr", "1e-3", "--patience", "0",
            "--cache-dir", str(cache_dir), "--no-progress", *extra]


def test_a_second_fit_into_a_run_folder_in_use_is_refused_with_the_first_ones_pid(small, cache_dir, tmp_path, capsys,
                                                                                  monkeypatch):
    out = tmp_path / "run"
    argv = fit_argv(small, out, cache_dir)
    second: list[int] = []
    read_labels = train.prepare_labels

    def second_fit_starts_now(*args, **kwargs):  # the first fit has started and is reading its labels
        if not second:
            second.append(-1)
            second[0] = main(argv)
        return read_labels(*args, **kwargs)

    monkeypatch.setattr(train, "prepare_labels", second_fit_starts_now)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert second == [2]
    assert f"cxrtrain: error: another cxrtrain fit (PID {os.getpid()}) is writing to {out}; wait for it" in err
    assert len(pd.read_csv(out / "history.csv")) == 2 and is_ours(out)  # the first run's, whole
    monkeypatch.setattr(train, "prepare_labels", read_labels)

    # while a run trains, even --resume is refused; once it has ended, however it ended, the folder is free
    def resume_now(stage: int, epoch: int) -> None:
        assert main(fit_argv(small, tmp_path / "killed", cache_dir, "--resume")) == 2
        raise KeyboardInterrupt

    try:
        fit(quick_options(small, tmp_path / "killed", cache_dir, epochs=2), on_epoch_end=resume_now)
    except KeyboardInterrupt:
        pass
    assert "another cxrtrain fit" in capsys.readouterr().err
    assert main(fit_argv(small, tmp_path / "killed", cache_dir, "--resume")) == 0
    assert len(pd.read_csv(tmp_path / "killed" / "history.csv")) == 2


def test_a_fit_refused_before_it_wrote_anything_leaves_no_folder(small, cache_dir, tmp_path, capsys):
    assert main(fit_argv(small, tmp_path / "new", cache_dir, "--observations", "Edema")) == 2
    assert "unknown observation" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    assert main(fit_argv(small, tmp_path / "none", cache_dir, "--resume")) == 2
    assert "no last.pt" in capsys.readouterr().err and not (tmp_path / "none").exists()


@pytest.mark.parametrize("name", ["config.json", "thresholds.json", "calibration.json", "ensemble.json"])
def test_a_damaged_run_file_is_named_in_one_line_by_every_command_and_load_run(quick_run, small, tmp_path, capsys, name):
    run = tmp_path / "run"
    shutil.copytree(quick_run, run)
    whole = (run / ("calibration.json" if name == "ensemble.json" else name)).read_text()
    ensemble = ["--ensemble"] if name == "ensemble.json" else []
    (run / name).write_text(whole[:len(whole) // 2])  # cut short, as by a full disk or a copy that stopped
    image = str(small / "images" / "img0000.png")
    commands = [["evaluate", "--run", str(run), *ensemble],
                ["predict", "--run", str(run), "--images", str(small / "images"), "-o", str(tmp_path / "p.csv"),
                 *ensemble]]
    if not ensemble:
        commands += [["export", "--run", str(run), "-o", str(tmp_path / "m.ts")],
                     ["cam", "--run", str(run), image, "--out", str(tmp_path / "cams")]]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"cxrtrain: error: {run / name}: damaged") and err.count("\n") == 1, err
        assert ("--resume" in err) != (name == "config.json")  # what to do: write it again, or it cannot be
    with pytest.raises(UserError, match=re.escape(str(run / name))):
        cxrtrain.load_run(run, ensemble=bool(ensemble))


def test_a_run_file_of_the_wrong_shape_is_named(quick_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(quick_run, run)
    (run / "thresholds.json").write_text(json.dumps({"Disc": {"threshold": 0.5}}))  # Bar is missing
    assert main(["export", "--run", str(run), "-o", str(tmp_path / "m.ts")]) == 2
    assert "thresholds.json: damaged (no threshold for 'Bar')" in capsys.readouterr().err
    (run / "calibration.json").write_text(json.dumps({"temperatures": [1.0]}))
    (run / "thresholds.json").write_text((quick_run / "thresholds.json").read_text())
    assert main(["export", "--run", str(run), "-o", str(tmp_path / "m.ts")]) == 2
    assert "calibration.json: damaged (1 temperatures for 2 outputs)" in capsys.readouterr().err
