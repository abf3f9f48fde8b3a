"""DDP with 2 CPU processes (gloo, launched by torchrun) trains to the same weights as one process.

Both runs go through `cxrtrain fit` with SGD swapped in for Adam (see ddp_probe.py: Adam turns
rounding noise into weight noise, SGD does not, so a real difference in gradients would show).
vgg16 is used because it has no BatchNorm: on CPU each DDP process normalises its own half of a
batch (SyncBatchNorm needs CUDA), which is the one intended difference from one-process training.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from cxrtrain.model.networks import CXRNet
from .synthetic import make_dataset

PROBE = os.path.join(os.path.dirname(__file__), "ddp_probe.py")


def run(args: list[str], cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # same arithmetic in both runs: one thread per process
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                    reason="this PyTorch build has no gloo backend")
def test_two_process_ddp_matches_single_process(tmp_path, cache_dir):
    make_dataset(tmp_path / "data", n=64, size=32, seed=2)
    common = ["fit", "--labels", str(tmp_path / "data" / "labels.csv"), "--images", str(tmp_path / "data"),
              "--arch", "vgg16", "--image-size", "32", "--epochs", "1", "--batch-size", "6", "--lr", "0.01",
              "--device", "cpu", "--cache-dir", str(cache_dir), "--no-progress"]
    run([sys.executable, PROBE, *common, "--out", str(tmp_path / "one")], tmp_path)
    ddp = run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               PROBE, *common, "--out", str(tmp_path / "two")], tmp_path)
    assert ddp.stderr.count("cxrtrain: done:") == 1  # only rank 0 reports and writes
    split = pd.read_csv(tmp_path / "one" / "split.csv")
    assert (split["split"] == "train").sum() % 6 == 0  # whole batches: both runs see identical batches
    one = torch.load(tmp_path / "one" / "last.pt", weights_only=True)["model"]
    two = torch.load(tmp_path / "two" / "last.pt", weights_only=True)["model"]
    torch.manual_seed(0)  # fit's seed: the common initial weights
    start = CXRNet("vgg16", 2).state_dict()
    norm = lambda tensors: sum(float((t.double() ** 2).sum()) for t in tensors) ** 0.5  # noqa: E731
    moved = norm(one[k] - start[k] for k in one)
    differ = norm(one[k] - two[k] for k in one)
    print(f"weights moved {moved:.3e} in training; one vs two processes differ by {differ:.3e} "
          f"({differ / moved:.1e} of the movement)")
    # Summing two half-batch gradients in ONE process differs from the full batch by ~1e-5 of the
    # movement here (max-pool ties and ReLU boundaries flip under rounding); wrong batches or a wrong
    # loss scale across ranks would differ by the order of the movement itself.
    assert moved > 1e-2
    assert differ < 1e-3 * moved
    h1, h2 = (pd.read_csv(tmp_path / name / "history.csv") for name in ("one", "two"))
    pd.testing.assert_series_equal(h1["val_loss"], h2["val_loss"], atol=1e-5)
    m1, m2 = (json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("one", "two"))
    assert m1["test"]["mean_auc"] == pytest.approx(m2["test"]["mean_auc"], abs=1e-4)
