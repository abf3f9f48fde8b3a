"""Train / validation / test splits by patient, so no patient's images are on both sides."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxrlabel.errors import UserError
from cxrlabel.output_guard import write_atomically

from ..errors import OptionError

SPLITS = ("train", "val", "test")


def split_by_group(groups: list[str], val_frac: float, test_frac: float, seed: int) -> np.ndarray:
    """Assign whole groups (patients) to test, then val, then train, in a seeded random order,
    until each split holds its share of rows. Blank group ids count as one group per row."""
    if not (0 <= val_frac < 1 and 0 <= test_frac < 1 and val_frac + test_frac < 1):
        raise OptionError("val_frac", val_frac, f"must be in [0, 1), as must the test share ({test_frac}), "
                          "and the two must sum below 1")
    keys = np.array([g if g.strip() else f"\0row{i}" for i, g in enumerate(groups)], dtype=object)
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(unique))
    n = len(keys)
    wanted = {"test": test_frac * n, "val": val_frac * n}
    filled = {"test": 0, "val": 0}
    assignment = np.empty(len(unique), dtype=object)
    for g in order:
        for name in ("test", "val"):
            # At least one group per requested split when there are enough groups to leave training some.
            starving = filled[name] == 0 and wanted[name] > 0 and len(unique) >= 3
            if filled[name] < wanted[name] and (starving or filled[name] + counts[g] <= wanted[name] + counts[g] / 2):
                assignment[g] = name
                filled[name] += counts[g]
                break
        else:
            assignment[g] = "train"
    return assignment[inverse].astype(str)


def save_split(path: Path, images: list[Path], groups: list[str], split: np.ndarray) -> None:
    table = pd.DataFrame({"row": np.arange(len(images)), "image": [str(p) for p in images], "patient": groups,
                          "split": split})
    write_atomically(path, table.to_csv(index=False).encode("utf-8"), "out")


def load_split(path: Path, n_rows: int) -> np.ndarray:
    """The split a run was trained with; it must describe the same label table."""
    if not path.exists():
        raise UserError(f"{path}: missing; this run folder has no saved split")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if len(frame) != n_rows or not set(frame["split"]) <= set(SPLITS):
        raise UserError(f"{path} describes {len(frame)} rows but the label table has {n_rows}; "
                        "the labels changed since this run started. Start a new run with another $out")
    return frame["split"].to_numpy(dtype=str)
