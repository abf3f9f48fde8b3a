"""fit refuses observations with nothing to learn from, and says so before training on nothing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxrtrain.cli import main
from cxrtrain.settings import MIN_CLASS_TRAIN_IMAGES


def write_labels(small: Path, folder: Path, **columns: object) -> Path:
    """small's label table with some columns replaced (a value, or a function of the table)."""
    labels = pd.read_csv(small / "labels.csv", dtype=str, keep_default_na=False)
    for name, value in columns.items():
        labels[name] = value(labels) if callable(value) else value
    path = folder / "labels.csv"
    labels.to_csv(path, index=False)
    return path


def fit_args(labels: Path, small: Path, out: Path, cache_dir: Path, *extra: str) -> list[str]:
    return ["fit", "--labels", str(labels), "--images", str(small), "--out", str(out), "--arch", "resnet18",
            "--image-size", "32", "--epochs", "1", "--batch-size", "8", "--cache-dir", str(cache_dir),
            "--no-progress", *extra]


def test_blank_ignore_with_every_label_blank_is_refused(small, cache_dir, tmp_path, capsys):
    labels = write_labels(small, tmp_path, Disc="", Bar="")
    argv = fit_args(labels, small, tmp_path / "run", cache_dir, "--observations", "Disc,Bar", "--blank", "ignore")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cxrtrain: error: no labelled training rows for Disc (" in err and ", Bar (" in err
    assert "--blank zero" in err and "--observations" in err
    assert not (tmp_path / "run" / "best.pt").exists()  # nothing was trained
    # blank as negative (the default) trains, with a warning that each has one class only
    assert main(argv[:-2] + ["--out", str(tmp_path / "zero")]) == 0
    err = capsys.readouterr().err
    assert "warning: Disc has a single class in the training split (" in err and " 0 positive" in err


def test_one_observation_without_labelled_rows_is_named(small, cache_dir, tmp_path, capsys):
    labels = write_labels(small, tmp_path, Disc=lambda t: t["Disc"].where(t["Disc"] == "-1.0", ""))
    assert main(fit_args(labels, small, tmp_path / "run", cache_dir, "--observations", "Disc,Bar",
                         "--blank", "ignore")) == 2
    err = capsys.readouterr().err
    assert "no labelled training rows for Disc (" in err and "uncertain of" in err and "Bar (" not in err


def test_a_single_class_observation_is_warned_about_with_its_counts(small, cache_dir, tmp_path, capsys):
    labels = write_labels(small, tmp_path, Rare="0.0")
    assert main(fit_args(labels, small, tmp_path / "run", cache_dir)) == 0
    err = capsys.readouterr().err
    warning = next(line for line in err.splitlines() if "warning: Rare" in line)
    n_train = int(pd.read_csv(tmp_path / "run" / "split.csv")["split"].eq("train").sum())
    assert f"({n_train} negative, 0 positive, after u-ignore and --blank zero)" in warning
    assert "warning: Disc" not in err and "warning: Bar" not in err
    assert "warning: Rare" in (tmp_path / "run" / "log.txt").read_text()


def test_multiclass_with_a_handful_of_images_per_class_is_refused(small, cache_dir, tmp_path, capsys):
    # keep three Bar-only images; the other Bar-only rows become unlabelled
    bar_only = lambda t: (t["Bar"] == "1.0") & (t["Disc"] != "1.0")  # noqa: E731
    labels = write_labels(small, tmp_path,
                          Bar=lambda t: t["Bar"].where(~bar_only(t) | (bar_only(t).cumsum() <= 3), ""))
    assert main(fit_args(labels, small, tmp_path / "run", cache_dir, "--task", "multiclass")) == 2
    err = capsys.readouterr().err
    assert f"needs at least {MIN_CLASS_TRAIN_IMAGES} single-label training images and 1 validation image" in err
    assert "too few for Bar (" in err and "Disc train " in err and "Bar train " in err
    assert not (tmp_path / "run" / "best.pt").exists()
