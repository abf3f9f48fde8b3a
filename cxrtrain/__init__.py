"""cxrtrain: train chest X-ray classifiers on cxrlabel's label CSVs.

From Python, a run folder written by `cxrtrain fit` predicts and explains images::

    import cxrtrain

    run = cxrtrain.load_run("runs/first")              # the folder, or its best.pt
    table = run.predict(["a.png", "b.dcm"])            # paths, PIL images, or one of them
    table["prob_Edema"]                                # the columns `cxrtrain predict` writes
    heat = run.cam("a.png", observation="Edema")       # Grad-CAM, (S, S) in [0, 1]; None: most probable

`import cxrtrain` stays light: torch is imported by `load_run`, not here.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .inference.loaded_run import LoadedRun

__version__ = "0.1.0"
__all__ = ["load_run", "__version__"]


def load_run(path: str | Path, device: str = "auto", ensemble: bool = False) -> "LoadedRun":
    """A finished run (its folder, or the best.pt in it) ready to `.predict(images)` and `.cam(image)`:
    the best model with the temperatures and thresholds fit chose on validation, on `device` (auto:
    CUDA when available); `ensemble` averages the checkpoints kept by `fit --keep-top`, as `predict
    --ensemble` does."""
    from .inference.loaded_run import LoadedRun

    return LoadedRun(path, device, ensemble)
