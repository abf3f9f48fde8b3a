"""`cxrtrain predict`: probability and thresholded label per output for every image, from a run folder or from
a file written by `cxrtrain export`, through one `Predictor` either way (and for `load_run(...).predict`)."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import torch

from cxrlabel.errors import UserError
from cxrlabel.output_guard import write_atomically

from .. import distributed
from ..data.cache import ImagePack, MemoryPack, cached_pack
from ..data.images import find_images
from ..errors import OptionError
from .export import ExportedModel
from .output import output_file, summary_stream
from .run import Run


class Predictor(Protocol):
    """What predicts images: a run folder's model(s) or an exported file, with what its table needs."""

    task: str
    outputs: list[str]
    image_size: int

    def label_thresholds(self) -> dict[str, float] | None:
        """Each output's 0/1 cut-off chosen on validation (None for multiclass: the most probable class)."""

    def protected(self) -> list[Path]:
        """Files that the prediction table must not replace."""

    def probabilities(self, pack: ImagePack | MemoryPack, rows: np.ndarray, workers: int,
                      batch_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(calibrated probabilities of the readable rows, which rows were readable, decode errors)."""


class RunPredictor:
    """A run folder's best model, or its ensemble, optionally over the fixed --tta views."""

    def __init__(self, run: Run, tta: bool = False):
        self.run, self.tta = run, tta
        self.task, self.outputs, self.image_size = run.meta["task"], run.outputs, run.meta["image_size"]

    def label_thresholds(self) -> dict[str, float] | None:
        return self.run.label_thresholds()

    def protected(self) -> list[Path]:
        return self.run.files()

    def probabilities(self, pack: ImagePack | MemoryPack, rows: np.ndarray, workers: int,
                      batch_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        logits, readable, errors = self.run.pack_logits(pack, rows, workers, batch_size, self.tta)
        return self.run.probabilities(logits), readable, errors


class ExportedPredictor:
    """A file from `cxrtrain export`, fed the same cached uint8 images at its size that a run's model is fed."""

    def __init__(self, exported: ExportedModel):
        self.exported = exported
        meta = exported.meta
        self.task, self.outputs, self.image_size = meta["task"], meta["outputs"], meta["image_size"]

    def label_thresholds(self) -> dict[str, float] | None:
        return self.exported.meta["thresholds"]

    def protected(self) -> list[Path]:
        return [self.exported.path]

    def probabilities(self, pack: ImagePack | MemoryPack, rows: np.ndarray, workers: int,
                      batch_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        readable = rows[pack.ok[rows]]
        array = pack.open()
        parts = [np.zeros((0, len(self.outputs)), np.float32)]
        for start in range(0, len(readable), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(array[readable[start:start + batch_size]]))
            parts.append(self.exported(batch).numpy())
        return np.concatenate(parts), readable, pack.errors


def predictor(run_folder: str | None, model: str | None, device: str, ensemble: bool, tta: bool) -> Predictor:
    """The run folder's Predictor, or the exported file's."""
    if model is not None:
        return ExportedPredictor(ExportedModel(model, distributed.resolve_device(device)))
    return RunPredictor(Run(run_folder, device, ensemble), tta)


def predict(run_folder: str | None, images: str, output: str, *, model: str | None = None, device: str = "auto",
            cache_dir: str | None = None, workers: int = 0, batch_size: int = 32, ensemble: bool = False,
            tta: bool = False) -> pd.DataFrame:
    """Probability and thresholded label per output for every image under a folder (or of one image file),
    from a run folder or from a file written by `cxrtrain export`."""
    if (run_folder is None) == (model is None):
        raise UserError("give either $run_folder (a run folder) or $model (a file from cxrtrain export)")
    if model is not None and (ensemble or tta):
        raise UserError("$ensemble and $tta work with $run_folder; an exported model is the run's best model alone")
    folder = Path(images)  # a folder searched recursively, or one image file
    if not folder.exists():
        raise OptionError("images", folder, "no such folder or file")
    source = predictor(run_folder, model, device, ensemble, tta)
    output_path = output_file(output, [folder, *source.protected()])
    paths = find_images(folder) if folder.is_dir() else [folder]
    if not paths:
        raise UserError(f"no images found under {folder} (looked for .png, .jpg, .jpeg, .dcm and similar)")
    pack = cached_pack(paths, source.image_size, cache_dir, workers)
    probs, readable, errors = source.probabilities(pack, np.arange(len(paths)), workers, batch_size)
    table = prediction_table([str(p) for p in paths], probs, readable, errors, source.task, source.outputs,
                             source.label_thresholds())
    write_atomically(output_path, table.to_csv(index=False).encode("utf-8"))
    bad = sum(1 for e in errors if e)
    print(f"{len(paths) - bad} images predicted" + (f", {bad} unreadable (see the error column)" if bad else "")
          + f"; written to {output_path}", file=summary_stream(output_path))
    return table


def prediction_table(names: list[str], probs: np.ndarray, readable: np.ndarray, errors: list[str], task: str,
                     outputs: list[str], thresholds: dict[str, float] | None) -> pd.DataFrame:
    """The rows `predict` writes: image, prob_<output> (NaN where unreadable), then label_<output> by the
    validation thresholds (multiclass: predicted and top3), and the decode error."""
    n = len(names)
    table = pd.DataFrame({"image": names})
    for j, name in enumerate(outputs):
        column = np.full(n, np.nan)
        column[readable] = probs[:, j]
        table[f"prob_{name}"] = column.round(6)
    if task == "multiclass":
        predicted = np.full(n, "", dtype=object)
        top3 = np.full(n, "", dtype=object)
        order = np.argsort(-probs, axis=1)
        predicted[readable] = [outputs[o[0]] for o in order]
        top3[readable] = ["|".join(outputs[i] for i in o[:3]) for o in order]
        table["predicted"], table["top3"] = predicted, top3
    else:
        for j, name in enumerate(outputs):
            labels = pd.array([pd.NA] * n, dtype="Int64")
            labels[readable] = (probs[:, j] >= thresholds[name]).astype(int)
            table[f"label_{name}"] = labels
    table["error"] = errors
    return table
