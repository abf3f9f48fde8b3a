"""A run folder belongs to one fit at a time, and what fit refuses or resumes, it says in one line."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal

import pandas as pd
import pytest

import cxrtrain
from cxrlabel.errors import UserError
from cxrlabel.output_guard import is_ours
from cxrtrain.training import fit as fit_module
from cxrtrain.training import inputs
from cxrtrain.cli import main
from cxrtrain.training.fit import fit

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
    read_labels = inputs.prepare_labels

    def second_fit_starts_now(*args, **kwargs):  # the first fit has started and is reading its labels
        if not second:
            second.append(-1)
            second[0] = main(argv)
        return read_labels(*args, **kwargs)

    monkeypatch.setattr(inputs, "prepare_labels", second_fit_starts_now)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert second == [2]
    assert f"cxrtrain: error: another cxrtrain fit (PID {os.getpid()}) is writing to {out}; wait for it" in err
    assert len(pd.read_csv(out / "history.csv")) == 2 and is_ours(out)  # the first run's, whole
    monkeypatch.setattr(inputs, "prepare_labels", read_labels)

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


@pytest.mark.parametrize("damage", ["model", "options"])
def test_a_config_of_the_wrong_shape_is_named_in_one_line_by_every_command_and_load_run(quick_run, small, tmp_path,
                                                                                       capsys, damage):
    """Whole JSON, but not what fit writes: a "model" that is no object, or options without the label table."""
    run = tmp_path / "run"
    shutil.copytree(quick_run, run)
    config = json.loads((run / "config.json").read_text())
    if damage == "model":
        config["model"] = "resnet18"
    else:
        del config["options"]["labels"]
    (run / "config.json").write_text(json.dumps(config))
    commands = [["evaluate", "--run", str(run)]]
    if damage == "model":  # only evaluate reads the saved options; the other commands need the model's description
        commands += [["predict", "--run", str(run), "--images", str(small / "images"), "-o", str(tmp_path / "p.csv")],
                     ["export", "--run", str(run), "-o", str(tmp_path / "m.ts")],
                     ["cam", "--run", str(run), str(small / "images" / "img0000.png"), "--out", str(tmp_path / "c")]]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"cxrtrain: error: {run / 'config.json'}: damaged (") and err.count("\n") == 1, err
        assert "it holds the run's settings" in err
    if damage == "model":
        with pytest.raises(UserError, match=re.escape(str(run / "config.json"))):
            cxrtrain.load_run(run)


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


def test_resume_with_more_epochs_rebuilds_the_schedule_as_if_planned_so(small, cache_dir, tmp_path, capsys):
    """An interrupted 3-epoch cosine run resumed with --epochs 4 trains on the rates of a 4-epoch plan
    (it went 1e-4, 5e-5, 0.0, 5e-5: the 3-epoch curve run past its end)."""
    fit(quick_options(small, tmp_path / "four", cache_dir, epochs=4, lr_schedule="cosine"))

    def kill(stage: int, epoch: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(quick_options(small, tmp_path / "run", cache_dir, epochs=3, lr_schedule="cosine"), on_epoch_end=kill)
    capsys.readouterr()
    assert main(["fit", "--out", str(tmp_path / "run"), "--resume", "--epochs", "4"]) == 0
    err = capsys.readouterr().err
    assert "--epochs 3 -> 4 after epoch 1: the cosine learning-rate schedule is rebuilt for 4 epochs" in err
    planned = pd.read_csv(tmp_path / "four" / "history.csv")["lr"]
    resumed = pd.read_csv(tmp_path / "run" / "history.csv")["lr"]
    assert len(resumed) == 4 and (resumed > 0).all()
    assert resumed.tolist() == pytest.approx(planned.tolist(), rel=1e-9)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["options"]["epochs"] == 4
    assert config["epochs_changes"] == [{"stage": 1, "after_epoch": 1, "from": 3, "to": 4}]


def test_a_finished_run_trains_on_with_more_epochs_and_is_only_scored_again_without(small, cache_dir, tmp_path,
                                                                                    capsys):
    out = tmp_path / "run"
    assert main(fit_argv(small, out, cache_dir)) == 0  # 2 epochs
    capsys.readouterr()
    assert main(["fit", "--out", str(out), "--resume", "--epochs", "3"]) == 0
    err = capsys.readouterr().err
    assert "random initialisation" not in err and "resumed from" in err
    assert "the run had finished 2 epochs; it trains on to epoch 3" in err
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3] and history["stage"].tolist() == [1, 1, 1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best_epoch"] == int(history["val_loss"].idxmin()) + 1
    config = (out / "config.json").read_bytes()
    assert main(["fit", "--out", str(out), "--resume"]) == 0  # nothing left: scored again (a repair)
    assert "has finished 3 epochs: nothing is left to train" in capsys.readouterr().err
    assert (out / "config.json").read_bytes() == config and len(pd.read_csv(out / "history.csv")) == 3
    assert main(["fit", "--out", str(out), "--resume", "--epochs", "2"]) == 2
    assert "--epochs 2: the run in" in capsys.readouterr().err and (out / "config.json").read_bytes() == config
    best = (out / "best.pt").read_bytes()
    (out / "best.pt").write_bytes(best[:len(best) // 2])  # cut short, as by a copy that stopped
    assert main(["fit", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"cxrtrain: error: {out / 'best.pt'}: cannot read this checkpoint")
    assert "Traceback" not in err and err.count("error:") == 1


@pytest.mark.parametrize("options,message", [
    ({"epochs": "two"}, "'epochs' (--epochs): invalid positive_int value: 'two'"),
    ({"epoch": 2}, "unknown option 'epoch' (did you mean 'epochs'?)"),
    ({"arch": "alexnet"}, "'arch' (--arch): invalid choice: 'alexnet'"),
    ({"augment": "yes"}, "'augment' (--augment): expected true or false, got 'yes'"),
    ({"lr": [0.1]}, "'lr' (--lr): expected a number, got [0.1]"),
])
def test_a_config_file_is_checked_as_the_command_line_is(small, cache_dir, tmp_path, capsys, options, message):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"options": {"labels": str(small / "labels.csv"), "images": str(small), **options}}))
    assert main(["fit", "--config", str(config), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cxrtrain: error: --config {config}: {message}") and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_paths_in_a_config_file_are_taken_from_its_folder(small, cache_dir, tmp_path, monkeypatch):
    shutil.copytree(small, tmp_path / "project" / "data")
    (tmp_path / "project" / "fit.json").write_text(json.dumps({  # options alone, as a user writes them
        "labels": "data/labels.csv", "images": "data", "arch": "resnet18", "image_size": 32, "epochs": 1,
        "batch_size": 8, "cache_dir": str(cache_dir), "progress": False}))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["fit", "--config", "../project/fit.json", "--out", "run"]) == 0
    saved = json.loads((tmp_path / "elsewhere" / "run" / "config.json").read_text())["options"]
    assert saved["labels"] == str(tmp_path / "project" / "data" / "labels.csv")  # stored whole: replays anywhere
    monkeypatch.chdir(tmp_path)
    assert main(["fit", "--out", "elsewhere/run", "--resume"]) == 0  # the same run, named from another folder


def test_sigterm_during_fit_ends_in_one_line_that_says_how_to_go_on(small, cache_dir, tmp_path, capsys, monkeypatch):
    save_last = fit_module.save_last

    def then_terminated(*args) -> None:  # as `kill` or a job scheduler would, once epoch 1 is saved
        save_last(*args)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(fit_module, "save_last", then_terminated)
    out = tmp_path / "run"
    assert main(fit_argv(small, out, cache_dir)) == 128 + signal.SIGTERM
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"cxrtrain: terminated; continue the run with: cxrtrain fit --out {out} --resume"
