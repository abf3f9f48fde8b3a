"""A run folder belongs to one fit at a time, and what fit refuses or resumes, it says in one line."""
from __future__ import annotations

import os

import pandas as pd

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
