"""A finished run folder, loaded: its options, its best model (or its top checkpoints), their temperatures and
thresholds. Every file is read through `run_files`, so a damaged one is one line that names it, never a
traceback."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cxrlabel.errors import UserError

from .. import distributed
from ..data.augment import tta_views
from ..data.cache import ImagePack, MemoryPack
from ..data.images import resize_gray
from ..errors import OptionError
from ..model.losses import probabilities
from ..model.networks import load_run_model
from .gradcam import grad_cam
from .logits import mean_logits
from .run_files import RUN_FILES, WRITTEN_AGAIN, read_config, read_run_json

def _thresholds(outputs: list[str], task: str) -> Callable[[dict], dict]:
    def check(thresholds: dict) -> dict:
        if task != "multiclass":
            for name in outputs:
                if not isinstance(thresholds.get(name), dict) or "threshold" not in thresholds[name]:
                    raise ValueError(f"no threshold for {name!r}")
                float(thresholds[name]["threshold"])
        return thresholds
    return check


def _temperatures(count: int) -> Callable[[list], list[float]]:
    def check(temperatures: list) -> list[float]:
        values = [float(t) for t in temperatures]
        if len(values) != count:
            raise ValueError(f"{len(values)} temperatures for {count} outputs")
        return values
    return check


class Run:
    """A finished run folder: its options, its best model (or with `ensemble` its top checkpoints),
    their temperatures and thresholds."""

    def __init__(self, run_folder: str | Path, device: str = "auto", ensemble: bool = False):
        self.folder = Path(run_folder)
        if not (self.folder / "config.json").is_file():
            raise OptionError("run_folder", self.folder, "not a cxrtrain run folder (no config.json)")
        config = read_config(self.folder / "config.json")
        self.device = distributed.resolve_device(device)
        self.model, self.meta = load_run_model(self.folder / "best.pt", self.device, expected=config.get("model"))
        thresholds = self.folder / "thresholds.json"
        if not thresholds.is_file():
            raise UserError(f"{thresholds}: missing; the run did not finish (continue it: fit with $resume)")
        again = WRITTEN_AGAIN.format(folder=self.folder)
        self.thresholds = read_run_json(thresholds, again, _thresholds(self.outputs, self.meta["task"]))
        calibration = self.folder / "calibration.json"
        temperatures = _temperatures(1 if self.meta["task"] == "multiclass" else len(self.outputs))
        # runs made before calibration existed have none: their probabilities stay uncalibrated
        self.temperatures = (read_run_json(calibration, again, lambda c: temperatures(c["temperatures"]))
                             if calibration.is_file() else None)
        self.models = [self.model]
        if ensemble:
            description = self.folder / "ensemble.json"
            if not description.is_file():
                raise UserError(f"$ensemble: {self.folder} kept a single checkpoint; fit with $keep_top 3 (or more) "
                                "to keep the best epochs for an ensemble")
            members = read_run_json(description, again, lambda m: {
                "members": [str(f) for f in m["members"]], "temperatures": temperatures(m["temperatures"]),
                "thresholds": _thresholds(self.outputs, self.meta["task"])(m["thresholds"])})
            self.models = [load_run_model(self.folder / f, self.device, expected=config.get("model"))[0]
                           for f in members["members"]]
            self.temperatures, self.thresholds = members["temperatures"], members["thresholds"]
        self.ctx = distributed.Context(1, 0, 0, self.device)

    @property
    def outputs(self) -> list[str]:
        return self.meta["outputs"]

    def label_thresholds(self) -> dict[str, float] | None:
        """The 0/1 cut-off of each output (None for multiclass, whose prediction is the most probable class)."""
        if self.meta["task"] == "multiclass":
            return None
        return {name: self.thresholds[name]["threshold"] for name in self.outputs}

    def files(self) -> list[Path]:
        """The files fit wrote here, which no other command may write over."""
        return [self.folder / name for name in RUN_FILES]

    def output_index(self, observation: str | None) -> int | None:
        """The position of a named output (None: let each image's most probable output be explained)."""
        if observation is None:
            return None
        if observation not in self.outputs:
            raise OptionError("observation", observation, f"the model predicts {', '.join(self.outputs)}")
        return self.outputs.index(observation)

    def pack_logits(self, pack: ImagePack | MemoryPack, rows: np.ndarray, workers: int, batch_size: int,
                    tta: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(logits of the readable rows, which rows were readable, decode errors) of images already resized to
        the run's size, averaged over the ensemble's models and, with `tta`, over fixed crops."""
        readable = rows[pack.ok[rows]]
        logits = mean_logits(self.models, pack, readable, sum(self.meta["widths"]), self.ctx, batch_size, workers,
                             amp=False, views=tta_views(self.meta["image_size"]) if tta else None)
        return logits, readable, pack.errors

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (N, outputs) from logits: the run's temperatures, its heads' softmaxes."""
        return probabilities(self.meta["task"], self.meta["widths"], torch.from_numpy(logits),
                             self.temperatures).numpy()

    def heat_map(self, gray: np.ndarray, output: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """Grad-CAM of one full-size grayscale image on the best model, at the run's image size:
        (heat map in [0, 1], calibrated probabilities, the output explained: `output`, or the most probable)."""
        image = torch.from_numpy(resize_gray(gray, self.meta["image_size"]))[None, None].to(self.device)
        return grad_cam(self.model, image, self.meta["task"], self.meta["widths"], output, self.temperatures)
