"""`cxrtrain evaluate`, `predict` and `cam`: using a finished run folder."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, TextIO

import numpy as np
import pandas as pd
import torch

from cxrlabel.errors import UserError
from cxrlabel.output_guard import (
    STDOUT, check_output, claim_folder, is_stream, make_folder, probe_writable, write_atomically,
)

from ..errors import OptionError
from .. import distributed
from ..data.augment import tta_views
from ..data.cache import ImagePack, MemoryPack, build_pack, default_cache_dir
from ..inference.export import ExportedModel
from ..inference.gradcam import grad_cam, overlay_stems, safe_name, write_overlay
from ..data.images import ImageDecodeError, decode_gray, find_images, resize_gray
from ..model.losses import probabilities
from ..model.networks import load_run_model
from ..data.splits import load_split
from ..inference.run_files import WRITTEN_AGAIN, read_config, read_run_json
from ..training.fit import RUN_FILES, mean_logits, prepare_labels, split_reports, write_json


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
        self.config = read_config(self.folder / "config.json")
        self.options = self.config["options"]
        self.device = distributed.resolve_device(device)
        self.model, self.meta = load_run_model(self.folder / "best.pt", self.device, expected=self.config.get("model"))
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
            self.models = [load_run_model(self.folder / f, self.device, expected=self.config.get("model"))[0]
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

    def logits(self, paths: list[Path], rows: np.ndarray, cache_dir: str | None, workers: int,
               batch_size: int, tta: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(logits of readable rows, which rows were readable, decode errors) at the run's image size, averaged
        over the ensemble's models and, with `tta`, over fixed crops."""
        pack = build_pack(paths, self.meta["image_size"], Path(cache_dir) if cache_dir else default_cache_dir(),
                          workers, progress=sys.stderr.isatty())
        return self.pack_logits(pack, rows, workers, batch_size, tta)

    def pack_logits(self, pack: ImagePack | MemoryPack, rows: np.ndarray, workers: int, batch_size: int,
                    tta: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """`logits` of images already resized to the run's size (a cache pack, or images in memory)."""
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


def output_file(output: str | Path, inputs: list[Path | str], setting: str = "output",
                owner: str | None = None) -> Path:
    """The file a command writes its result to, once it is known to replace none of its inputs nor another
    command's outputs (`owner`: the kind of folder of ours whose files this command may replace)."""
    path = Path(output)
    check_output(path, inputs, setting, owner=owner)
    if path.is_dir():
        raise UserError(f"{path}: ${setting} is a folder; give a file name")
    if not is_stream(path):
        probe_writable(path, setting)  # before the work: a read-only folder is said at once
        make_folder(path.parent, setting)
    return path


def _messages(output: str | Path) -> TextIO:
    """Where a command's summary goes: standard error when the result itself goes to standard output."""
    return sys.stderr if str(output) == STDOUT else sys.stdout


def evaluate(run_folder: str, labels: str | None = None, images: str | None = None, *, output: str | None = None,
             path_column: str | None = None, id_column: str | None = None, image_pattern: str | None = None,
             device: str = "auto", cache_dir: str | None = None, workers: int = 0, batch_size: int = 32,
             ensemble: bool = False, tta: bool = False) -> dict:
    """Metrics of the best model (or the ensemble) on the run's own val/test splits, or on every row of
    another table."""
    run = Run(run_folder, device, ensemble)
    opts, meta = run.options, run.meta
    if (labels is None) != (images is None):
        raise UserError("give both $labels and $images to evaluate on another table, or neither")
    external = labels is not None
    table = labels or opts["labels"]
    suffix = ("_ensemble" if ensemble else "") + ("_tta" if tta else "")
    target = output_file(output or run.folder / (f"evaluation_{Path(table).stem}{suffix}.json" if external
                                                 else f"evaluation{suffix}.json"), [table, *run.files()],
                         owner="cxrtrain run")  # its reports belong in the run folder
    data = prepare_labels(
        table, images or opts["images"],
        path_column=path_column if external else opts["path_column"],
        id_column=id_column if external else opts["id_column"],
        image_pattern=image_pattern if external else opts["image_pattern"],
        task=meta["task"], observations=meta["outputs"] if meta["task"] != "binary" else opts["observations"],
        policy="u-ignore", policy_per_observation=None, blank=meta["blank"],
        split_column=None if external else opts["split_column"], encoding=opts["encoding"] if not external else None,
        frontal_only=opts.get("frontal_only", False), metadata=None if external else opts.get("metadata"),
        view_required=not external)
    if data.task.outputs != meta["outputs"]:
        raise UserError(f"the table gives outputs {data.task.outputs}, but the model predicts {meta['outputs']}")
    usable = data.task.usable
    if external:
        splits = {Path(labels).stem: np.flatnonzero(usable)}
    else:
        split = load_split(run.folder / "split.csv", len(data.paths))
        splits = {name: np.flatnonzero(usable & (split == name)) for name in ("val", "test")}
    result: dict = {"run": str(run.folder), "task": meta["task"], "labels": str(table),
                    "model": f"ensemble of {len(run.models)} checkpoints (ensemble.json)" if ensemble else "best.pt",
                    "tta": f"mean over {len(tta_views(meta['image_size']))} fixed views" if tta else None,
                    "thresholds_from": "the run's validation split (ensemble.json)" if ensemble
                    else "the run's validation split (thresholds.json)"}
    skipped: dict[int, str] = {}  # row -> why its image could not be used
    for name, rows in splits.items():
        logits, readable, errors = run.logits(data.paths, rows, cache_dir, workers, batch_size, tta)
        skipped.update((int(i), errors[i]) for i in rows if errors[i])
        if len(readable) == 0:
            result[name] = {"split": name, "n_images": 0, "note": "no readable labelled image"}
            continue
        result[name] = split_reports(meta["task"], meta["outputs"], meta["widths"], meta["blank"], name,
                                     data.task.values[readable], logits, run.thresholds, None, run.temperatures)
    result["skipped_images"] = len(skipped)
    result["skipped"] = [{"line": int(data.lines[i]), "image": str(data.paths[i]), "reason": reason}
                         for i, reason in sorted(skipped.items())]
    result["notes"] = [f"label table layout: {data.layout}", *data.layout_notes]
    write_json(target, result)
    say = _messages(target)
    if skipped:
        shown = "; ".join(f"line {s['line']} {s['image']}: {s['reason']}" for s in result["skipped"][:3])
        print(f"cxrtrain: skipped {len(skipped)} unreadable or missing image{'s' if len(skipped) > 1 else ''}, not "
              f"evaluated (e.g. {shown}); all are listed under \"skipped\" in {target}", file=sys.stderr)
    for name in splits:
        report = result[name]
        print(f"{name}: {report['n_images']} images" + "".join(
            f", {key} {report[key]:.3f}" for key in ("mean_auc", "mean_average_precision", "top3_sensitivity")
            if report.get(key) is not None), file=say)
    print(f"written to {target}", file=say)
    return result


def _exported_probabilities(exported: ExportedModel, paths: list[Path], cache_dir: str | None, workers: int,
                            batch_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(probabilities of readable images, which were readable, decode errors) from an exported model,
    fed the same cached uint8 images at its size that `predict --run` feeds the run's model."""
    pack = build_pack(paths, exported.meta["image_size"], Path(cache_dir) if cache_dir else default_cache_dir(),
                      workers, progress=sys.stderr.isatty())
    readable = np.flatnonzero(pack.ok)
    array = pack.open()
    parts = [np.zeros((0, len(exported.meta["outputs"])), np.float32)]
    for start in range(0, len(readable), batch_size):
        batch = torch.from_numpy(np.ascontiguousarray(array[readable[start:start + batch_size]]))
        parts.append(exported(batch).numpy())
    return np.concatenate(parts), readable, pack.errors


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
    if model is not None:
        exported = ExportedModel(model, distributed.resolve_device(device))
        task, outputs, thresholds = exported.meta["task"], exported.meta["outputs"], exported.meta["thresholds"]
        protected: list[Path] = [Path(model)]
    else:
        run = Run(run_folder, device, ensemble)
        task, outputs, thresholds = run.meta["task"], run.outputs, run.label_thresholds()
        protected = run.files()
    output_path = output_file(output, [folder, *protected])
    paths = find_images(folder) if folder.is_dir() else [folder]
    if not paths:
        raise UserError(f"no images found under {folder} (looked for .png, .jpg, .jpeg, .dcm and similar)")
    if model is not None:
        probs, readable, errors = _exported_probabilities(exported, paths, cache_dir, workers, batch_size)
    else:
        logits, readable, errors = run.logits(paths, np.arange(len(paths)), cache_dir, workers, batch_size, tta)
        probs = run.probabilities(logits)
    table = prediction_table([str(p) for p in paths], probs, readable, errors, task, outputs, thresholds)
    write_atomically(output_path, table.to_csv(index=False).encode("utf-8"))
    bad = sum(1 for e in errors if e)
    print(f"{len(paths) - bad} images predicted" + (f", {bad} unreadable (see the error column)" if bad else "")
          + f"; written to {output_path}", file=_messages(output_path))
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


def cam(run_folder: str, images: list[str], out: str, *, observation: str | None = None,
        device: str = "auto") -> list[Path]:
    """Grad-CAM overlay PNGs for the most probable output (or the one named) of each image; images of one name
    in different folders keep those folders below `out` (`gradcam.overlay_stems`)."""
    given: dict[str, str] = {}
    for image in images:  # each image once, named as the user gave it
        given.setdefault(os.path.abspath(image), image)
    images = list(given.values())
    run = Run(run_folder, device)
    wanted = run.output_index(observation)
    check_output(out, [*images, *run.files()], "out")
    claim_folder(out, "cxrtrain cam", "out")
    written, failed = [], []
    for raw, stem in zip(images, overlay_stems([Path(image) for image in images])):
        path = Path(raw)
        try:
            gray = decode_gray(path, size_hint=768)
        except ImageDecodeError as exc:
            failed.append(f"{path}: {exc}")
            continue
        heat, probs, output = run.heat_map(gray, wanted)
        name = run.outputs[output]
        target = Path(out) / stem.parent / f"{stem.name}_gradcam_{safe_name(name)}.png"
        write_overlay(target, gray, heat, f"Grad-CAM: {name} p={probs[output]:.2f}")
        written.append(target)
        print(f"{path} -> {target} ({name}, p={probs[output]:.3f})")
    for line in failed:
        print(f"cxrtrain: skipped {line}", file=sys.stderr)
    if not written:
        raise UserError("no image could be read; nothing written")
    return written
