"""evaluate and predict use a run's thresholds only with that run's model: a best.pt of another
architecture, or with other outputs, copied into the run folder is refused by name."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from cxrtrain.cli import main
from cxrtrain.training.fit import fit

from .synthetic import quick_options


@pytest.fixture(scope="module")
def other_runs(small, cache_dir, tmp_path_factory) -> dict[str, Path]:
    """Runs unlike quick_run (resnet18, outputs Disc and Bar): another arch, and fewer outputs."""
    root = tmp_path_factory.mktemp("other_runs")
    runs = {"arch": root / "densenet", "outputs": root / "disc_only"}
    fit(quick_options(small, runs["arch"], cache_dir, arch="densenet121", epochs=1))
    fit(quick_options(small, runs["outputs"], cache_dir, observations=["Disc"], epochs=1))
    return runs


def swapped_run(quick_run: Path, best: Path, folder: Path, describe: bool) -> Path:
    """A copy of quick_run whose best.pt is `best`; without its description when describe is False (older files)."""
    shutil.copytree(quick_run, folder)
    checkpoint = torch.load(best, weights_only=True)
    if not describe:
        del checkpoint["cxrtrain"]
    torch.save(checkpoint, folder / "best.pt")
    return folder


def evaluate_and_predict(run: Path, small: Path, cache_dir: Path, tmp_path: Path) -> list[int]:
    return [main(["evaluate", "--run", str(run), "--cache-dir", str(cache_dir), "-o", str(tmp_path / "e.json")]),
            main(["predict", "--run", str(run), "--images", str(small / "images"), "--cache-dir", str(cache_dir),
                  "-o", str(tmp_path / "p.csv")])]


@pytest.mark.parametrize("other,describe,expected", [
    ("arch", True, "architecture 'densenet121' in the checkpoint, 'resnet18' in config.json"),
    ("outputs", True, "outputs ['Disc'] in the checkpoint, ['Disc', 'Bar'] in config.json; "
                      "output size 1 (logits per output [1]) in the checkpoint, 2 (logits per output [1, 1])"),
    ("arch", False, "does not match a resnet18 with 2 outputs"),
    ("outputs", False, "backbone.fc.weight (1, 512) in the file, (2, 512) expected"),
])
def test_a_best_pt_from_another_run_is_refused(quick_run, other_runs, small, cache_dir, tmp_path, capsys,
                                               other, describe, expected):
    run = swapped_run(quick_run, other_runs[other] / "best.pt", tmp_path / "run", describe)
    assert evaluate_and_predict(run, small, cache_dir, tmp_path) == [2, 2]
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith(f"cxrtrain: error: {run / 'best.pt'}") for line in errors)
    assert all(expected in line for line in errors), errors
    if other == "arch" and not describe:
        assert all("It looks like densenet121 weights" in line for line in errors)
    assert not (tmp_path / "e.json").exists() and not (tmp_path / "p.csv").exists()


def test_the_runs_own_best_pt_without_a_description_still_loads(quick_run, small, cache_dir, tmp_path):
    run = swapped_run(quick_run, quick_run / "best.pt", tmp_path / "run", describe=False)
    assert evaluate_and_predict(run, small, cache_dir, tmp_path) == [0, 0]
