"""A finished run used from Python: what `cxrtrain predict` and `cxrtrain cam` do, on images in hand.

It is the commands' own code (`run.Run`, `predict.RunPredictor`, `predict.prediction_table`, `Run.heat_map`), fed images
decoded in memory instead of through the on-disk cache: a file gives the same pixels the cache would
hold (`images.load_resized`), so the probabilities are those `predict --run` writes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Union

import numpy as np
import pandas as pd
from PIL import Image

from cxrlabel.errors import UserError

from ..data.cache import MemoryPack
from ..data.images import ImageDecodeError, gray_of, resize_gray
from .cam import SIZE_HINT
from .predict import RunPredictor, prediction_table
from .run import Run

ImageLike = Union[str, Path, Image.Image]


def run_folder_of(path: str | Path) -> Path:
    """The run folder of `path`: the folder itself, or the folder holding the best.pt given."""
    path = Path(path)
    if path.is_file():
        if path.name != "best.pt":
            raise UserError(f"{path}: give a run folder made by cxrtrain fit, or the best.pt inside it "
                            "(the thresholds and temperatures are those of best.pt)")
        return path.parent
    return path


class LoadedRun:
    """A run folder's best model (or its ensemble), with the temperatures and thresholds fit chose."""

    def __init__(self, path: str | Path, device: str = "auto", ensemble: bool = False):
        self.run = Run(run_folder_of(path), device, ensemble)

    @property
    def outputs(self) -> list[str]:
        """The observations (outputs) the model predicts, in column order."""
        return list(self.run.outputs)

    def predict(self, images: ImageLike | Iterable[ImageLike], tta: bool = False,
                batch_size: int = 32) -> pd.DataFrame:
        """One row per image, with the columns `cxrtrain predict` writes: image, prob_<observation>
        (calibrated), label_<observation> (validation threshold; multiclass: predicted, top3) and error
        (an unreadable file gets NaN probabilities and the reason, as in predict)."""
        items = [images] if isinstance(images, (str, Path, Image.Image)) else list(images)
        size = self.run.meta["image_size"]
        array = np.zeros((max(len(items), 1), size, size), np.uint8)
        ok, errors = np.zeros(len(items), bool), [""] * len(items)
        for i, item in enumerate(items):
            try:
                array[i] = resize_gray(gray_of(item, size_hint=size), size)
                ok[i] = True
            except ImageDecodeError as exc:
                errors[i] = str(exc)
        pack = MemoryPack(array, size, ok, errors)
        predictor = RunPredictor(self.run, tta)
        probs, readable, errors = predictor.probabilities(pack, np.arange(len(items)), 0, batch_size)
        names = [getattr(item, "filename", "") if isinstance(item, Image.Image) else str(item) for item in items]
        return prediction_table(names, probs, readable, errors, predictor.task, predictor.outputs,
                                predictor.label_thresholds())

    def cam(self, image: ImageLike, observation: str | None = None) -> np.ndarray:
        """The Grad-CAM heat map `cxrtrain cam` draws: (S, S) in [0, 1] at the run's image size S, for
        `observation` or, when None, the image's most probable output."""
        heat, _, _ = self.run.heat_map(gray_of(image, size_hint=SIZE_HINT), self.run.output_index(observation))
        return heat
