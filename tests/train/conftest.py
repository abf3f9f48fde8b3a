"""Fixtures for the trainer tests: tiny synthetic datasets and one shared trained run (CPU, seconds)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cxrtrain.cli import main
from cxrtrain.training.fit import fit

from .synthetic import make_dataset, quick_options

torch.set_num_threads(min(2, torch.get_num_threads()))
SHARED_CXR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cxr"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> Path:
    """160 PNGs at 64 px: disc = 'Disc', bar = 'Bar'; labels.csv in cxrlabel style."""
    folder = tmp_path_factory.mktemp("synthetic")
    make_dataset(folder, n=160, size=64, seed=0)
    return folder


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    """64 PNGs at 32 px, for the quick fits."""
    folder = tmp_path_factory.mktemp("small")
    make_dataset(folder, n=64, size=32, seed=4)
    return folder


@pytest.fixture(scope="session")
def quick_run(small, cache_dir, tmp_path_factory) -> Path:
    """A finished one-epoch resnet18 run on `small` (outputs Disc, Bar); tests only read it, or copy it."""
    out = tmp_path_factory.mktemp("runs") / "quick"
    fit(quick_options(small, out, cache_dir, epochs=1))
    return out


@pytest.fixture(scope="session")
def trained_run(synthetic, cache_dir, tmp_path_factory) -> Path:
    """A resnet18 trained through the command line on the synthetic set, shared by several tests."""
    out = tmp_path_factory.mktemp("runs") / "synthetic"
    code = main(["fit", "--labels", str(synthetic / "labels.csv"), "--images", str(synthetic), "--out", str(out),
                 "--arch", "resnet18", "--image-size", "64", "--epochs", "5", "--batch-size", "16", "--lr", "1e-3",
                 "--cache-dir", str(cache_dir), "--no-progress"])
    assert code == 0
    return out
