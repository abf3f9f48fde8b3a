"""`cxrtrain fit`: from a label CSV and an image folder to a run folder with the best model.

A run folder holds: config.json (every option and what was resolved from the data), split.csv,
skipped_images.csv, history.csv, log.txt, last.pt (resumable state), best.pt (weights of the epoch
with the lowest validation loss), thresholds.json, metrics.json and roc_*.png, and the marker that
makes it ours: fit starts a run only in a new or empty folder, or one it made. The folder is locked while a run
writes it (`.lock`, held by rank 0), so a second fit into it is refused with the first one's PID.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from cxrlabel.errors import UserError
from cxrlabel.folder_lock import LOCK, hold
from cxrlabel.output_guard import MARKER, claim_folder, make_folder, write_atomically, writing

from .. import distributed
from ..evaluation import metrics
from ..data.cache import ImagePack, build_pack, default_cache_dir
from ..errors import OptionError
from ..data.batches import CachedBatches, EvalBatches, TrainBatches, make_loader, oversample_weights
from ..data.layouts import detect as detect_layout
from ..data.labels import (
    PATIENT_COLUMN_NAMES, TaskData, build_task, cells, check_images_exist, check_not_text, load_label_table,
    optional_column, resolve_image_paths, unique_images,
)
from ..model.losses import TaskLoss, balanced_weights, probabilities
from ..data.augment import build_augment
from ..evaluation.calibration import fit_temperatures
from ..model.networks import CXRNet, check_image_size, load_initial_weights, weights_input_norm
from ..model.optimisers import PLANNED, EpochSchedule, build_optimizer
from ..inference.run_files import read_config
from ..settings import MIN_CLASS_TRAIN_IMAGES, OPTIMIZERS, SCHEDULES, SELECT_BY, FitOptions
from ..data.splits import load_split, save_split, split_by_group
from ..data.policies import apply_policies, head_widths, parse_policies, relabel_uncertain

CHECKPOINT_FORMAT = 1
# What fit writes into a run folder: evaluate, predict and cam never write over any of them.
RUN_FILES = ("config.json", "split.csv", "skipped_images.csv", "history.csv", "log.txt", "last.pt", "best.pt",
             "stage1_best.pt", "thresholds.json", "calibration.json", "metrics.json", "roc_val.png", "roc_test.png",
             "reliability_val.png", "reliability_test.png", "ensemble.json", "checkpoints", "tensorboard", LOCK)
# A model whose probabilities spread less than this over a split's images gives one answer for all of them.
CONSTANT_OUTPUT_SPREAD = 1e-3
# --select-by loss keeping an epoch this much below the best validation AUC is said in the log and metrics.
AUC_GAP_WARNING = 0.05
# --task multiclass: a class needs this many single-label training images, and one validation image, to be
# learned and to take part in choosing the best epoch; fewer is refused rather than trained into a model
# that never predicts it.
# Target classes by index: a one-logit output trains on 0/1, a U-MultiClass head on 0/1/2.
TARGET_CLASSES = ("negative", "positive", "uncertain")
# Options that may differ when a run is resumed; every other option must match the saved run.
RESUMABLE_CHANGES = {"epochs", "patience", "workers", "device", "amp", "resume", "cache_dir", "progress"}
# Options that name files and folders: config.json holds them whole, so that a replay (--config) or a resume
# finds them from any folder.
PATH_OPTIONS = ("labels", "images", "out", "weights", "metadata", "cache_dir")


@dataclass
class Labelled:
    """A label table turned into per-row image paths, task values, targets and loss masks."""

    paths: list[Path]
    path_column: str
    task: TaskData
    policies: list[str]
    widths: list[int]
    targets: np.ndarray
    mask: np.ndarray
    groups: list[str]
    group_column: str | None
    layout: str
    patient_source: str | None  # where the patient ids came from, in words
    lines: np.ndarray  # line of each row in the label file
    layout_notes: list[str]


def prepare_labels(labels: str | Path, images: str | Path, *, path_column: str | None, id_column: str | None,
                   image_pattern: str | None, task: str, observations: list[str] | None, policy: str,
                   policy_per_observation: str | None, blank: str, split_column: str | None = None,
                   encoding: str | None = None, frontal_only: bool = False, metadata: str | None = None,
                   view_required: bool = True) -> Labelled:
    """Everything fit and evaluate read from a label table, with every user mistake a UserError."""
    labels, images = Path(labels), Path(images)
    layout = detect_layout(load_label_table(labels, encoding), labels, images, frontal_only=frontal_only,
                           metadata=metadata, view_required=view_required)
    frame = layout.frame
    paths, used_path_column = resolve_image_paths(frame, images, labels, path_column or layout.path_column,
                                                  id_column, image_pattern)
    path_source = (layout.path_source if used_path_column == layout.path_column and layout.path_source
                   else f"column {used_path_column!r}")
    check_images_exist(paths, images, path_source)
    group_column = optional_column(frame, split_column or layout.patient_column, PATIENT_COLUMN_NAMES, "patient id")
    if group_column:
        check_not_text(frame, group_column, "patient ids", "split_column")
    if split_column or not layout.patient_column:
        patient_source = f"column {group_column!r}" if group_column else None
    else:
        patient_source = layout.patient_source
    reserved = {used_path_column} | ({group_column} if group_column else set())
    task_data = build_task(frame, task, observations, reserved, lines=layout.lines)
    groups = cells(frame[group_column]).tolist() if group_column else [""] * len(frame)
    keep, duplicates = unique_images(paths, task_data.values, groups, layout.lines)
    if not keep.all():
        paths, groups = [p for p, k in zip(paths, keep) if k], [g for g, k in zip(groups, keep) if k]
        task_data = task_data.subset(keep)
    lines = layout.lines[keep]
    if task == "multiclass":
        policies, widths = [], [len(task_data.outputs)]
        targets = np.nan_to_num(task_data.values, nan=0.0).astype(np.float32)
        mask = task_data.usable[:, None].copy()
    else:
        policies = parse_policies(policy, policy_per_observation, task_data.outputs)
        widths = head_widths(policies)
        targets, mask = apply_policies(task_data.values, policies, blank)
    return Labelled(paths, used_path_column, task_data, policies, widths, targets, mask, groups, group_column,
                    layout.name, patient_source, lines, [*layout.notes, *duplicates])


class RunLog:
    """Messages to stderr and to log.txt in the run folder (main process only). Never report text."""

    def __init__(self, out: Path, enabled: bool):
        self.path, self.enabled = out / "log.txt", enabled

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        print(f"cxrtrain: {message}", file=sys.stderr, flush=True)
        with writing(self.path, "out"), open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")


def save_atomic(obj: object, path: Path) -> None:
    """torch.save in memory, then written whole through a temporary name beside `path`: a kill never leaves a
    half-written checkpoint, and a full disk gives one line, not torch's writer error."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_atomically(path, buffer.getvalue(), "out")


def write_json(path: Path, obj: object) -> None:
    """JSON written whole or not at all, like the checkpoints: a reader never sees half a config."""
    write_atomically(path, (json.dumps(obj, indent=2, default=str) + "\n").encode("utf-8"), "out")


def write_csv_rows(path: Path, header: list[str], rows: list) -> None:
    """A small CSV of the run folder (rows as lists, or dicts keyed by `header`), written whole or not at all."""
    text = io.StringIO(newline="")
    if rows and isinstance(rows[0], dict):
        writer = csv.DictWriter(text, fieldnames=header)
        writer.writeheader()
    else:
        writer = csv.writer(text)
        writer.writerow(header)
    writer.writerows(rows)
    write_atomically(path, text.getvalue().encode("utf-8"), "out")


def absolute_paths(options: dict, base: str | Path = ".") -> dict:
    """`options` with each relative path among PATH_OPTIONS taken from the folder `base`."""
    return {key: os.path.abspath(os.path.join(base, value)) if key in PATH_OPTIONS and isinstance(value, str) else value
            for key, value in options.items()}


def stage_count(policies: list[str]) -> int:
    """U-SelfTrained trains twice (the second time on the first model's relabelling); every other run once."""
    return 2 if "u-selftrained" in policies else 1


def read_last(path: Path) -> dict:
    """last.pt, loaded on the CPU (the optimiser's state follows its parameters to their device when loaded)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if not {"stage", "epoch", "history"} <= set(checkpoint["state"]):
            raise KeyError("state")
    except Exception as exc:  # cut short, or not ours
        raise UserError(f"{path}: cannot read this checkpoint ({exc.__class__.__name__}); the run cannot be "
                        "resumed from it: start it again with another $out") from None
    return checkpoint


def model_meta(opts: FitOptions, data: Labelled, input_norm: str) -> dict:
    """What evaluate / predict / cam need to rebuild the model and read its outputs."""
    return {"format": CHECKPOINT_FORMAT, "arch": opts.arch, "image_size": opts.image_size, "task": opts.task,
            "outputs": data.task.outputs, "widths": data.widths, "policies": data.policies, "blank": opts.blank,
            "input": input_norm}


def resolve_workers(workers: int | None, device: torch.device) -> int:
    """Loader processes: batches come from a memmap, so the main process keeps up on CPU."""
    if workers is not None:
        if workers < 0:
            raise OptionError("workers", workers, "must be 0 or more")
        return workers
    return min(4, os.cpu_count() or 1) if device.type == "cuda" else 0


@torch.no_grad()
def predict_logits(model: CXRNet, pack: ImagePack, rows: np.ndarray, width: int, ctx: distributed.Context,
                   batch_size: int, workers: int, amp: bool,
                   view: Callable[[torch.Tensor], torch.Tensor] | None = None) -> np.ndarray:
    """Logits for pack rows (seen through `view`, a fixed crop, when given), computed in shards across ranks
    and gathered in row order on every rank."""
    rows = np.asarray(rows, dtype=np.int64)
    dataset = CachedBatches(pack, rows, np.zeros((len(rows), 1), np.float32), np.zeros((len(rows), 1), bool))
    loader = make_loader(dataset, EvalBatches(len(rows), batch_size, ctx.world, ctx.rank), workers,
                         ctx.device.type == "cuda")
    model.eval()
    index_parts, logit_parts = [np.zeros(0, np.int64)], [np.zeros((0, width), np.float32)]
    for images, _, _, index in loader:
        if view is not None:
            images = view(images)
        with torch.autocast(ctx.device.type, dtype=torch.float16, enabled=amp):
            logits = model(images.to(ctx.device, non_blocking=True))
        logit_parts.append(logits.float().cpu().numpy())
        index_parts.append(index.numpy())
    return ctx.gather_rows(np.concatenate(index_parts), np.concatenate(logit_parts))


def mean_logits(models: list[CXRNet], pack: ImagePack, rows: np.ndarray, width: int, ctx: distributed.Context,
                batch_size: int, workers: int, amp: bool,
                views: list[Callable[[torch.Tensor], torch.Tensor] | None] | None = None) -> np.ndarray:
    """Logits averaged over models (an ensemble) and fixed views (--tta); one model, one view is plain prediction."""
    parts = [predict_logits(model, pack, rows, width, ctx, batch_size, workers, amp, view)
             for model in models for view in (views or [None])]
    return np.mean(parts, axis=0).astype(np.float32)


def split_reports(task: str, outputs: list[str], widths: list[int], blank: str, split: str, values: np.ndarray,
                  logits: np.ndarray, thresholds: dict, roc_dir: Path | None,
                  temperatures: list[float] | None = None) -> dict:
    """Metrics of one split from its raw label values and logits (calibrated by `temperatures`)."""
    probs = probabilities(task, widths, torch.from_numpy(logits), temperatures).numpy()
    if task == "multiclass":
        return metrics.multiclass_report(split, values[:, 0], probs, outputs, roc_dir)
    return metrics.multilabel_report(split, values, probs, outputs, blank, thresholds, roc_dir)


def tensorboard_writer(folder: Path) -> object | None:
    """A SummaryWriter when TensorBoard is installed; training never depends on it."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(folder))


def selection_score(select_by: str, val_loss: float, val_auc: float | None) -> float:
    """The number the best epoch minimises: validation loss, or minus the mean validation AUC."""
    if select_by == "loss":
        return val_loss
    return math.inf if val_auc is None else -val_auc


HISTORY_FIELDS = ["stage", "epoch", "train_loss", "val_loss", "val_mean_auc", "best_val_loss", "improved",
                  "images_per_s", "seconds", "lr"]


class Fit:
    """One `fit` run in one process (rank) of possibly several."""

    def __init__(self, opts: FitOptions, ctx: distributed.Context,
                 on_epoch_end: Callable[[int, int], None] | None = None):
        self.opts, self.ctx, self.on_epoch_end = opts, ctx, on_epoch_end
        self.out = Path(opts.out)
        self.log = RunLog(self.out, ctx.main)
        self.amp = opts.amp and ctx.device.type == "cuda"
        # A bar redrawn with carriage returns is for a terminal; a log file gets one line per epoch.
        self.show_progress = opts.progress and sys.stderr.isatty()
        self.lock: int | None = None  # rank 0's hold on the run folder
        self.made_folder = False
        # with $resume: last.pt, and the changes of $epochs since the run began (this one's last), for config.json
        self.checkpoint: dict = {}
        self.epochs_changes: list[dict] = []
        self.epochs_change: dict | None = None

    # -- the run folder, one run at a time ---------------------------------------------------------------
    def lock_run_folder(self) -> None:
        """Rank 0 holds the run folder's lock from before the folder is read until the run ends, so a second fit
        into the same $out is refused while this one lives (torchrun's processes are one run: the lock is rank
        0's, and every rank stops alike when it is refused). The folder is claimed here: made with our marker,
        or taken when it is empty or ours."""
        refusal: UserError | None = None
        if self.ctx.main:
            try:
                while self.lock is None:  # None: the folder went away (a refused run removed it); claim it again
                    self.made_folder = claim_folder(self.out, "cxrtrain run", "out") or self.made_folder
                    self.lock = hold(self.out / LOCK, "cxrtrain fit", self.out)
            except UserError as exc:
                refusal = exc
            except OSError as exc:
                refusal = UserError(f"{self.out}: cannot lock the run folder ({exc.strerror or exc}); "
                                    "choose another $out")
        message = self.ctx.from_main(None if refusal is None else refusal.args[0])
        if message is not None:
            raise refusal if refusal is not None else UserError(message)

    def release(self, failed: bool) -> None:
        """Let the run folder go; one this run made and stopped in before writing anything is removed."""
        if self.lock is None:
            return
        if failed and self.made_folder and {p.name for p in self.out.iterdir()} <= {MARKER, LOCK}:
            shutil.rmtree(self.out, ignore_errors=True)  # still locked: a waiting run sees it go and makes its own
        os.close(self.lock)
        self.lock = None

    # -- set-up ------------------------------------------------------------------------------------
    def check_run_folder(self) -> None:
        opts, out = self.opts, self.out
        current = absolute_paths(json.loads(json.dumps(asdict(opts))))
        if opts.resume:
            if not (out / "last.pt").exists():
                raise UserError(f"$resume: {out} has no last.pt to resume from; run without $resume to start")
            if not (out / "config.json").is_file():
                raise UserError(f"$resume: {out / 'config.json'} is missing, so the run's settings are unknown")
            config = read_config(out / "config.json")
            saved = absolute_paths(config["options"])  # a run made before they were stored whole: from here
            differing = [f"${k} (saved {saved[k]!r}, now {current.get(k)!r})" for k in saved
                         if k not in RESUMABLE_CHANGES and saved[k] != current.get(k)]
            if differing:
                raise UserError("$resume continues a run with its saved settings, but these differ: "
                                + "; ".join(differing) + ". Leave them out, or start a new run with another $out")
            self.plan_resume(config)
        elif (out / "last.pt").exists() or (out / "best.pt").exists():
            raise UserError(f"{out} already holds a run; add $resume to continue it, or choose another $out")
        if opts.batch_size < 2 * self.ctx.world:
            raise OptionError("batch_size", opts.batch_size, f"too small: each of the {self.ctx.world} processes "
                              "needs at least 2 images per batch")
        if opts.epochs < 1:
            raise OptionError("epochs", opts.epochs, "must be at least 1")
        if opts.class_weights not in ("none", "balanced"):
            raise OptionError("class_weights", opts.class_weights, "unknown; choose none or balanced")
        if not opts.lr > 0:
            raise OptionError("lr", opts.lr, "must be positive")
        if opts.weight_decay < 0:
            raise OptionError("weight_decay", opts.weight_decay, "must be 0 or more")
        if opts.keep_top < 1:
            raise OptionError("keep_top", opts.keep_top, "must be at least 1")
        if not 0 <= opts.warmup_epochs < opts.epochs:
            raise OptionError("warmup_epochs", opts.warmup_epochs,
                              f"must be at least 0 and below the number of epochs ({opts.epochs})")
        for name, value, allowed in (("optimizer", opts.optimizer, OPTIMIZERS),
                                     ("lr_schedule", opts.lr_schedule, SCHEDULES),
                                     ("select_by", opts.select_by, SELECT_BY)):
            if value not in allowed:
                raise OptionError(name, value, f"unknown; choose one of {', '.join(allowed)}")
        metrics.parse_operating_point(opts.operating_point)
        check_image_size(opts.arch, opts.image_size)

    def plan_resume(self, config: dict) -> None:
        """Read last.pt and decide, before anything is written, what a resumed run does: go on in its stage (to
        more epochs than it was started with, if $epochs says so), or, finished with nothing left, score best.pt
        again. Fewer epochs than were trained are refused."""
        opts = self.opts
        self.checkpoint = read_last(self.out / "last.pt")
        state = self.checkpoint["state"]
        stages = stage_count(config.get("model", {}).get("policies", []))
        done = (state["epoch"] if state["stage"] <= stages
                else sum(1 for row in state["history"] if row["stage"] == stages))
        if opts.epochs < done:
            raise OptionError("epochs", opts.epochs, f"the run in {self.out} has already trained {done} epochs"
                              + (f" in stage {stages}" if stages > 1 else "") + f"; give $epochs {done} or more")
        saved_epochs = config["options"].get("epochs", opts.epochs)
        self.epochs_changes = list(config.get("epochs_changes", []))
        if saved_epochs != opts.epochs:
            self.epochs_change = {"stage": min(state["stage"], stages), "after_epoch": done, "from": saved_epochs,
                                  "to": opts.epochs}
            self.epochs_changes.append(self.epochs_change)

    def prepare(self) -> None:
        opts, ctx = self.opts, self.ctx
        self.lock_run_folder()
        self.check_run_folder()
        data = prepare_labels(opts.labels, opts.images, path_column=opts.path_column, id_column=opts.id_column,
                              image_pattern=opts.image_pattern, task=opts.task, observations=opts.observations,
                              policy=opts.policy, policy_per_observation=opts.policy_per_observation,
                              blank=opts.blank, split_column=opts.split_column, encoding=opts.encoding,
                              frontal_only=opts.frontal_only, metadata=opts.metadata)
        self.data = data
        self.input_norm = weights_input_norm(opts.weights, opts.arch) if opts.weights else "imagenet"
        n = len(data.paths)
        split = (load_split(self.out / "split.csv", n) if opts.resume
                 else split_by_group(data.groups, opts.val_frac, opts.test_frac, opts.seed))
        ctx.barrier()  # every rank has validated the run folder before rank 0 writes to it
        notes = [f"label table layout: {data.layout} (detected from its columns)", *data.layout_notes,
                 *data.task.notes]
        self.warnings = [note for note in notes if note.startswith("warning:")]
        if data.group_column:
            notes.append(f"split by patient, patient ids from {data.patient_source}: no patient in two splits")
        else:
            self.warnings.append(
                "WARNING: no patient id column found, so the split is by IMAGE: one patient's images can land in "
                "train and in test, and the test metrics will be optimistic. Give the patient column with "
                "--split-column")
        if ctx.main:
            make_folder(self.out, "out")
            if not opts.resume:
                save_split(self.out / "split.csv", data.paths, data.groups, split)
            write_json(self.out / "config.json", {
                "options": absolute_paths(asdict(opts)), "model": model_meta(opts, data, self.input_norm),
                "path_column": data.path_column, "patient_column": data.group_column,
                "patient_source": data.patient_source, "layout": data.layout, "notes": notes, "warnings": self.warnings,
                **({"epochs_changes": self.epochs_changes} if self.epochs_changes else {})})
        for note in notes:
            self.log(note)
        if not data.group_column:
            self.log("!" * 100)
            self.log(self.warnings[-1])
            self.log("!" * 100)
        self.log(f"{n} rows; task {opts.task}; outputs: {', '.join(data.task.outputs)}"
                 + (f"; policies: {', '.join(f'{o}={p}' for o, p in zip(data.task.outputs, data.policies))}"
                    if data.policies else ""))
        cache_dir = Path(opts.cache_dir) if opts.cache_dir else default_cache_dir()
        self.workers = resolve_workers(opts.workers, ctx.device)
        if ctx.main:  # one process decodes; the others then open the finished pack
            self.pack = build_pack(data.paths, opts.image_size, cache_dir, self.workers, self.show_progress)
        ctx.barrier()
        if not ctx.main:
            self.pack = build_pack(data.paths, opts.image_size, cache_dir, self.workers, progress=False)
        skipped = np.flatnonzero(~self.pack.ok)
        if ctx.main:
            write_csv_rows(self.out / "skipped_images.csv", ["line", "image", "reason"],
                           [[data.lines[i], data.paths[i], self.pack.errors[i]] for i in skipped])
        if len(skipped):
            self.log(f"skipped {len(skipped)} unreadable or missing images; listed in {self.out / 'skipped_images.csv'}")
        keep = self.pack.ok & data.task.usable
        self.rows = {name: np.flatnonzero(keep & (split == name)) for name in ("train", "val", "test")}
        self.n_skipped = int(len(skipped))
        self.notes = notes
        self.log("images per split: " + ", ".join(f"{k} {len(v)}" for k, v in self.rows.items()))
        if len(self.rows["train"]) < 2 * ctx.world:
            raise UserError(f"only {len(self.rows['train'])} training images could be used; check the labels and images")
        if len(self.rows["val"]) == 0:
            raise UserError("the validation split is empty, but the best epoch is chosen on it; raise $val_frac "
                            "or add images")
        self.check_training_labels()

    def check_training_labels(self) -> None:
        """Refuse outputs the training split gives nothing to learn from; warn about those that see one class.

        Without this, --blank ignore on blank columns (or u-ignore on uncertain ones) trains on no cell at
        all and reports a loss of 0, and a multiclass class of a few images is never predicted."""
        opts, data, train = self.opts, self.data, self.rows["train"]
        outputs = data.task.outputs
        if opts.task == "multiclass":
            counts = {split: np.bincount(data.targets[self.rows[split], 0].astype(int), minlength=len(outputs))
                      for split in ("train", "val")}
            short = [i for i in range(len(outputs))
                     if counts["train"][i] < MIN_CLASS_TRAIN_IMAGES or counts["val"][i] == 0]
            if short:
                listing = ", ".join(f"{outputs[i]} train {counts['train'][i]} / val {counts['val'][i]}"
                                    for i in range(len(outputs)))
                raise UserError(f"$task multiclass needs at least {MIN_CLASS_TRAIN_IMAGES} single-label training "
                                f"images and 1 validation image per class; too few for "
                                f"{', '.join(outputs[i] for i in short)} (single-label images per class: {listing}). "
                                "Add single-label images, leave those classes out with $observations, or use "
                                "$task multilabel")
            return
        empty = []
        for j, (name, width) in enumerate(zip(outputs, data.widths)):
            labelled = data.mask[train, j]
            values = data.task.values[train, j]
            if not labelled.any():
                empty.append(f"{name} ({int(np.isnan(values).sum())} blank, {int((values == -1).sum())} uncertain "
                             f"of {len(train)})")
                continue
            counts = np.bincount(data.targets[train, j][labelled].astype(int), minlength=max(width, 2))
            if np.count_nonzero(counts) < 2:
                self.log(f"warning: {name} has a single class in the training split ("
                         + ", ".join(f"{n} {TARGET_CLASSES[c]}" for c, n in enumerate(counts))
                         + f", after {data.policies[j]} and --blank {opts.blank}): the model cannot learn to tell its "
                           "classes apart, and its AUC will be undefined; add images of the missing class or leave "
                           "it out with --observations")
        if opts.select_by == "auc":
            val_labels = [metrics.scorable(data.task.values[self.rows["val"], j], opts.blank) for j in range(len(outputs))]
            if not any(0 < y[u].sum() < u.sum() for y, u in val_labels):
                raise UserError("$select_by auc: no observation has both positive and negative labels in the "
                                "validation split, so its AUC is undefined; use $select_by loss or raise $val_frac")
        if empty:
            raise UserError("no labelled training rows for " + ", ".join(empty) + ": with $blank "
                            f"{opts.blank} and the uncertainty policy, every cell is masked, so nothing would be "
                            "learned. Use $blank zero to count blank cells as negatives, a $policy such as u-zeros "
                            "or u-ones to train uncertain ones, or leave these out with $observations")

    def build_model(self) -> None:
        opts, ctx = self.opts, self.ctx
        torch.manual_seed(opts.seed)
        self.width = sum(self.data.widths)
        self.model = CXRNet(opts.arch, self.width, self.input_norm)
        if not opts.resume:  # a resumed run's weights come from last.pt, and restore_last says so
            self.log(load_initial_weights(self.model, opts.weights, self.data.task.outputs) if opts.weights
                     else f"{opts.arch}: random initialisation (no --weights given; nothing is downloaded)")
        if opts.amp and not self.amp:
            self.log("--amp ignored: mixed precision is used on CUDA only")
        self.model.to(ctx.device)
        if ctx.device.type == "cuda":
            self.model.channels_last = True
            self.model.to(memory_format=torch.channels_last)
        self.train_model: torch.nn.Module = self.model
        if ctx.distributed:
            if ctx.device.type == "cuda":
                torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            elif any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in self.model.modules()):
                self.log("note: on CPU each process normalises its own share of a batch (SyncBatchNorm needs "
                         "CUDA), so BatchNorm models differ slightly from one-process training")
            self.train_model = DistributedDataParallel(
                self.model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
        self.new_optimizer()

    def new_optimizer(self) -> None:
        opts = self.opts
        self.optimizer = build_optimizer(opts.optimizer, self.model.parameters(), opts.lr, opts.weight_decay)
        self.schedule = EpochSchedule(self.optimizer, opts.lr_schedule, opts.epochs, opts.warmup_epochs)
        self.scaler = torch.amp.GradScaler(self.ctx.device.type, enabled=self.amp)

    # -- checkpoints ----------------------------------------------------------------------------------
    def save_last(self, state: dict) -> None:
        if not self.ctx.main:
            return
        rng = {"torch": torch.get_rng_state(),
               "cuda": torch.cuda.get_rng_state_all() if self.ctx.device.type == "cuda" else []}
        save_atomic({"cxrtrain": model_meta(self.opts, self.data, self.input_norm), "model": self.model.state_dict(),
                     "optimizer": self.optimizer.state_dict(), "scaler": self.scaler.state_dict(),
                     "schedule": self.schedule.state_dict(),
                     "state": state, "rng": rng}, self.out / "last.pt")

    def restore_last(self, stages: int) -> dict:
        """The run's state as last.pt holds it; a finished run that $epochs lets train on is reopened in its last
        stage, and a schedule planned for another number of epochs is rebuilt for the new number."""
        opts, checkpoint = self.opts, self.checkpoint
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scaler.load_state_dict(checkpoint["scaler"])
        self.schedule.load_state_dict(checkpoint["schedule"])
        torch.set_rng_state(checkpoint["rng"]["torch"].cpu())
        if self.ctx.device.type == "cuda" and checkpoint["rng"]["cuda"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in checkpoint["rng"]["cuda"]])
        state = checkpoint["state"]
        if state["stage"] > stages:
            state = self.reopen(state, stages)
            if state["stage"] > stages:
                return state
        self.log(f"resumed from {self.out / 'last.pt'}: stage {state['stage']}, {state['epoch']} epoch(s) done")
        change = self.epochs_change  # this resume's, when $epochs differs from the saved run's
        if change is not None:
            rebuilt = opts.lr_schedule in PLANNED
            if rebuilt:
                self.schedule = EpochSchedule.replayed(self.optimizer, opts.lr_schedule, opts.epochs,
                                                       opts.warmup_epochs, opts.lr, state["epoch"])
            self.log(f"--epochs {change['from']} -> {opts.epochs} after epoch {state['epoch']}: "
                     + (f"the {opts.lr_schedule} learning-rate schedule is rebuilt for {opts.epochs} epochs, as if "
                        f"planned so from the start (next rate {self.optimizer.param_groups[0]['lr']:.3g})"
                        if rebuilt else f"the {opts.lr_schedule} learning-rate schedule does not depend on it"))
        return state

    def reopen(self, state: dict, stages: int) -> dict:
        """A finished run's state, back in its last stage when there are epochs left to train (more $epochs, or a
        $patience that no longer stops it); else the finished state, and finish() scores best.pt again."""
        opts = self.opts
        done = sum(1 for row in state["history"] if row["stage"] == stages)
        best = torch.load(self.out / "best.pt", map_location="cpu", weights_only=True)
        bad = done - best["epoch"]
        reopened = {**state, "stage": stages, "epoch": done, "best_loss": best["val_loss"],
                    "best_score": best.get("score", best["val_loss"]), "best_epoch": best["epoch"], "bad_epochs": bad,
                    "stopped": opts.patience > 0 and bad >= opts.patience}
        if done < opts.epochs and not reopened["stopped"]:
            self.log(f"the run had finished {done} epochs; it trains on to epoch {opts.epochs}")
            return reopened
        stopped = f", stopped early by --patience {opts.patience}" if reopened["stopped"] and done < opts.epochs else ""
        self.log(f"the run in {self.out} has finished {done} epochs{stopped}: nothing is left to train, so best.pt "
                 "is scored again (metrics, thresholds, calibration); give a larger --epochs to train it longer")
        return state

    def save_best(self, state: dict) -> None:
        if self.ctx.main:
            save_atomic({"cxrtrain": model_meta(self.opts, self.data, self.input_norm), "model": self.model.state_dict(),
                         "stage": state["stage"], "epoch": state["best_epoch"], "val_loss": state["best_loss"],
                         "select_by": self.opts.select_by, "score": state["best_score"]},
                        self.out / "best.pt")

    def update_top(self, state: dict, score: float, stage: int, epoch: int) -> None:
        """Keep the --keep-top best epochs of this stage as checkpoints/ files, for --ensemble."""
        keep = self.opts.keep_top
        top = state.setdefault("top", [])
        if keep < 2 or (len(top) >= keep and score >= top[-1]["score"]):
            return
        entry = {"score": score, "stage": stage, "epoch": epoch, "file": f"checkpoints/stage{stage}_epoch{epoch:03d}.pt"}
        if self.ctx.main:
            make_folder(self.out / "checkpoints", "out")
            save_atomic({"cxrtrain": model_meta(self.opts, self.data, self.input_norm), "model": self.model.state_dict(),
                         "stage": stage, "epoch": epoch, "score": score}, self.out / entry["file"])
        top.append(entry)
        top.sort(key=lambda e: e["score"])
        for dropped in top[keep:]:
            if self.ctx.main:
                (self.out / dropped["file"]).unlink(missing_ok=True)  # a file this run wrote
        del top[keep:]

    # -- training -------------------------------------------------------------------------------------
    def stage_targets(self, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """Training targets: the policy's, or for U-SelfTrained's second stage, the first model's predictions."""
        train = self.rows["train"]
        targets, mask = self.data.targets[train], self.data.mask[train]
        if stage == 1:
            return targets, mask
        first = CXRNet(self.opts.arch, self.width, self.model.input_norm).to(self.ctx.device)
        first.load_state_dict(torch.load(self.out / "stage1_best.pt", map_location=self.ctx.device,
                                         weights_only=True)["model"])
        logits = predict_logits(first, self.pack, train, self.width, self.ctx, self.opts.batch_size,
                                self.workers, self.amp)
        probs = probabilities(self.opts.task, self.data.widths, torch.from_numpy(logits)).numpy()
        relabelled = relabel_uncertain(targets, mask, self.data.task.values[train], self.data.policies, probs)
        self.log(f"U-SelfTrained: {int(relabelled[1].sum() - mask.sum())} uncertain labels relabelled with the "
                 "first model's probabilities")
        return relabelled

    def run_epoch(self, loader: torch.utils.data.DataLoader, criterion: TaskLoss, stage: int,
                  epoch: int) -> tuple[float, float, float]:
        ctx, device = self.ctx, self.ctx.device
        self.train_model.train()
        total = torch.zeros((), device=device)
        count = torch.zeros((), device=device)
        seen, start = 0, time.perf_counter()
        bar = tqdm(loader, desc=f"stage {stage} epoch {epoch + 1}/{self.opts.epochs}", unit="batch", leave=False,
                   disable=not (ctx.main and self.show_progress), file=sys.stderr)
        for step, (images, targets, mask, _) in enumerate(bar):
            images = images.to(device, non_blocking=True)
            targets, mask = targets.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.float16, enabled=self.amp):
                logits = self.train_model(images)
            loss_sum, n = criterion(logits, targets, mask)
            # Divide by the number of counted cells in the whole (all-rank) batch; DDP averages gradients
            # over ranks, so multiplying by the world size gives exactly the one-process gradient.
            loss = loss_sum * ctx.world / ctx.sum(n.float()).clamp(min=1)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            total += loss_sum.detach()
            count += n
            seen += len(images) * ctx.world
            if step % 10 == 0 and not bar.disable:
                rate = seen / max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(loss=f"{(total / count.clamp(min=1)).item():.4f}", img_s=f"{rate:.1f}")
        seconds = time.perf_counter() - start
        train_loss = float(ctx.sum(total) / ctx.sum(count).clamp(min=1))
        return train_loss, seen / max(seconds, 1e-9), seconds

    def validate(self, criterion: TaskLoss) -> tuple[float, float | None]:
        val = self.rows["val"]
        logits = predict_logits(self.model, self.pack, val, self.width, self.ctx, self.opts.batch_size,
                                self.workers, self.amp)
        # Validation loss uses the policy targets (U-SelfTrained cells stay masked): certain labels decide.
        total, n = criterion(torch.from_numpy(logits), torch.from_numpy(self.data.targets[val]),
                             torch.from_numpy(self.data.mask[val]))
        report = split_reports(self.opts.task, self.data.task.outputs, self.data.widths, self.opts.blank, "val",
                               self.data.task.values[val], logits,
                               {o: {"threshold": 0.5} for o in self.data.task.outputs}, None)
        return float(total) / max(int(n), 1), report["mean_auc"]

    def train_stage(self, stage: int, state: dict, history: list[dict], board: object | None) -> None:
        opts, ctx = self.opts, self.ctx
        state["top"] = [e for e in state.get("top", []) if e["stage"] == stage]  # an ensemble is of one stage
        targets, mask = self.stage_targets(stage)
        weights = (balanced_weights(opts.task, targets, mask, self.data.widths)
                   if opts.class_weights == "balanced" else None)
        if weights is not None and opts.task == "multiclass":
            self.log("class weights: " + ", ".join(f"{name} {w:.3f}"
                                                   for name, w in zip(self.data.task.outputs, weights[0].tolist())))
        elif weights is not None:
            self.log("class weights (negative, positive[, uncertain]) per output: " + "; ".join(
                f"{name} {', '.join(f'{w:.3f}' for w in weight.tolist())}"
                for name, weight in zip(self.data.task.outputs, weights)))
        draw = oversample_weights(opts.task, targets, mask, self.data.widths) if opts.oversample else None
        if draw is not None:
            self.log(f"oversampling: the most drawn image is drawn {draw.max() / draw.min():.1f}x as often as the "
                     "least drawn")
        augment = build_augment(opts.image_size, opts.hflip) if opts.augment else None
        criterion = TaskLoss(opts.task, self.data.widths, weights).to(ctx.device)
        val_criterion = TaskLoss(opts.task, self.data.widths, weights)
        sampler = TrainBatches(len(targets), opts.batch_size, opts.seed, ctx.world, ctx.rank, draw)
        loader = make_loader(CachedBatches(self.pack, self.rows["train"], targets, mask, augment, opts.seed),
                             sampler, self.workers, ctx.device.type == "cuda")
        while state["epoch"] < opts.epochs and not state["stopped"]:
            epoch = state["epoch"]
            sampler.set_epoch(epoch + 1000 * (stage - 1))
            lr = self.optimizer.param_groups[0]["lr"]
            train_loss, rate, seconds = self.run_epoch(loader, criterion, stage, epoch)
            val_loss, val_auc = self.validate(val_criterion)
            score = selection_score(opts.select_by, val_loss, val_auc)
            self.schedule.step(score)
            improved = score < state["best_score"]
            if improved:
                state.update(best_score=score, best_loss=val_loss, best_epoch=epoch + 1, bad_epochs=0)
                self.save_best(state)
            else:
                state["bad_epochs"] += 1
            self.update_top(state, score, stage, epoch + 1)
            state["epoch"] = epoch + 1
            state["stopped"] = opts.patience > 0 and state["bad_epochs"] >= opts.patience
            row = {"stage": stage, "epoch": epoch + 1, "train_loss": round(train_loss, 6), "val_loss": round(val_loss, 6),
                   "val_mean_auc": None if val_auc is None else round(val_auc, 6),
                   "best_val_loss": round(state["best_loss"], 6), "improved": improved,
                   "images_per_s": round(rate, 2), "seconds": round(seconds, 2), "lr": lr}
            history.append(row)
            state["history"] = history
            self.save_last(state)
            if ctx.main:
                write_csv_rows(self.out / "history.csv", HISTORY_FIELDS, history)
                if board is not None:
                    step = (stage - 1) * opts.epochs + epoch + 1
                    for key in ("train_loss", "val_loss", "val_mean_auc", "images_per_s"):
                        if row[key] is not None:
                            board.add_scalar(key, row[key], step)
            self.log(f"stage {stage} epoch {epoch + 1}/{opts.epochs}: train loss {train_loss:.4f}, val loss "
                     f"{val_loss:.4f}, val mean AUC {'n/a' if val_auc is None else f'{val_auc:.3f}'}, "
                     f"{rate:.1f} images/s" + (" (best so far)" if improved else ""))
            ctx.barrier()
            if self.on_epoch_end is not None:
                self.on_epoch_end(stage, epoch + 1)
            if state["stopped"]:
                self.log(f"early stop: validation {opts.select_by} has not improved for {opts.patience} epochs")

    # -- the whole run ------------------------------------------------------------------------------------
    def run(self) -> dict:
        self.prepare()
        self.build_model()
        stages = stage_count(self.data.policies)
        state = {"stage": 1, "epoch": 0, "best_loss": math.inf, "best_score": math.inf, "best_epoch": 0,
                 "bad_epochs": 0, "stopped": False, "history": []}
        if self.opts.resume:
            state = self.restore_last(stages)
        board = tensorboard_writer(self.out / "tensorboard") if self.ctx.main else None
        history = self.history = list(state["history"])
        while state["stage"] <= stages:
            stage = state["stage"]
            self.train_stage(stage, state, history, board)
            if stage < stages:
                # U-SelfTrained: continue from the best first-stage model, with a fresh optimiser.
                if self.ctx.main:
                    write_atomically(self.out / "stage1_best.pt", (self.out / "best.pt").read_bytes(), "out")
                self.ctx.barrier()
                best = torch.load(self.out / "stage1_best.pt", map_location=self.ctx.device, weights_only=True)
                self.model.load_state_dict(best["model"])
                self.new_optimizer()
            state.update(stage=stage + 1, epoch=0, best_loss=math.inf, best_score=math.inf, best_epoch=0, bad_epochs=0,
                         stopped=False)
            self.save_last(state)
            self.ctx.barrier()
        if board is not None:
            board.close()
        return self.finish(state)

    def calibrate_and_score(self, logits: dict[str, np.ndarray], plots: bool) -> tuple[dict, dict, dict]:
        """(calibration, thresholds, per-split reports) of one model's (or an ensemble's) val/test logits:
        temperatures and thresholds from validation, applied unchanged to test."""
        opts, data = self.opts, self.data
        val_values = data.task.values[self.rows["val"]]
        temperatures, notes = fit_temperatures(opts.task, data.widths, data.task.outputs, logits["val"], val_values,
                                               opts.blank)
        if opts.task == "multiclass":
            thresholds = {"rule": "argmax: the most probable class is the prediction"}
        else:
            val_probs = probabilities(opts.task, data.widths, torch.from_numpy(logits["val"]), temperatures).numpy()
            thresholds = metrics.thresholds_from(val_values, val_probs, data.task.outputs, opts.blank,
                                                 opts.operating_point)
        reports = {}
        for split in ("val", "test"):
            if len(self.rows[split]) == 0:
                reports[split] = {"split": split, "n_images": 0, "note": "empty split: nothing to evaluate"}
                continue
            reports[split] = split_reports(opts.task, data.task.outputs, data.widths, opts.blank, split,
                                           data.task.values[self.rows[split]], logits[split], thresholds,
                                           self.out if plots and self.ctx.main else None, temperatures)
        calibration = {"method": "temperature scaling on the validation split (probability = sigmoid(score / T))",
                       "temperatures": temperatures, "notes": notes}
        return calibration, thresholds, reports

    def split_logits(self, models: list[CXRNet]) -> dict[str, np.ndarray]:
        return {split: mean_logits(models, self.pack, self.rows[split], self.width, self.ctx, self.opts.batch_size,
                                   self.workers, self.amp) for split in ("val", "test")}

    def finish(self, state: dict) -> dict:
        """Reload the best epoch; temperatures and thresholds from validation; metrics for validation and test;
        the same for the ensemble of the top checkpoints when --keep-top kept several."""
        opts, data = self.opts, self.data
        best = torch.load(self.out / "best.pt", map_location=self.ctx.device, weights_only=True)
        self.model.load_state_dict(best["model"])
        logits = self.split_logits([self.model])
        calibration, thresholds, reports = self.calibrate_and_score(logits, plots=True)
        warnings = list(self.warnings) + self.sanity_warnings(logits, best)
        result = {"task": opts.task, "arch": opts.arch, "image_size": opts.image_size,
                  "best_stage": best["stage"], "best_epoch": best["epoch"], "best_val_loss": round(best["val_loss"], 6),
                  "select_by": opts.select_by,
                  "thresholds_from": f"val (--operating-point {opts.operating_point}), applied unchanged to test",
                  "calibration": "temperature scaling on val; every probability below is calibrated",
                  "temperatures": dict(zip(data.task.outputs if opts.task != "multiclass" else ["all"],
                                           calibration["temperatures"])),
                  "skipped_images": self.n_skipped, "warnings": warnings,
                  "notes": self.notes + calibration["notes"], **reports}
        top = state.get("top", [])
        ensemble = None
        if len(top) > 1:
            members = []
            for entry in top:
                member = CXRNet(opts.arch, self.width, self.input_norm).to(self.ctx.device)
                member.load_state_dict(torch.load(self.out / entry["file"], map_location=self.ctx.device,
                                                  weights_only=True)["model"])
                members.append(member)
            ens_calibration, ens_thresholds, ens_reports = self.calibrate_and_score(self.split_logits(members), False)
            ensemble = {"members": [e["file"] for e in top], "epochs": [e["epoch"] for e in top],
                        "combination": "mean of the members' logits, then the ensemble's own temperatures",
                        **ens_calibration, "thresholds": ens_thresholds}
            result["ensemble"] = {"members": ensemble["epochs"], **ens_reports}
        if self.ctx.main:
            write_json(self.out / "calibration.json", calibration)
            write_json(self.out / "thresholds.json", thresholds)
            if ensemble is not None:
                write_json(self.out / "ensemble.json", ensemble)
            write_json(self.out / "metrics.json", result)
            for warning in warnings[len(self.warnings):]:
                self.log(warning)
            test = result["test"]
            summary = ", ".join(f"{k} {test[k]:.3f}" for k in ("mean_auc", "mean_average_precision", "top3_sensitivity")
                                if test.get(k) is not None)
            self.log(f"done: best epoch {best['epoch']} (stage {best['stage']}, by validation {opts.select_by}); "
                     f"test {summary or 'n/a'}; metrics in {self.out / 'metrics.json'}")
            if ensemble is not None and result["ensemble"]["test"].get("mean_auc") is not None:
                self.log(f"ensemble of epochs {', '.join(map(str, ensemble['epochs']))}: test mean AUC "
                         f"{result['ensemble']['test']['mean_auc']:.3f} (evaluate / predict --ensemble)")
        return result

    def sanity_warnings(self, logits: dict[str, np.ndarray], best: dict) -> list[str]:
        """What a reader of the metrics must know about the model the run kept."""
        probs = {split: probabilities(self.opts.task, self.data.widths, torch.from_numpy(values)).numpy()
                 for split, values in logits.items()}
        return [w for w in (constant_output_warning(probs),
                            best_epoch_warning(self.history, best["stage"], best["epoch"], self.opts.select_by))
                if w]


def constant_output_warning(probs: dict[str, np.ndarray]) -> str | None:
    """A model that gives every image of a split the same probabilities has learned nothing image-specific
    (seen with googlenet and inception_v3 on small runs); its AUCs are then meaningless ties."""
    for split, values in probs.items():
        if len(values) < 2:
            continue
        spread = values.max(axis=0) - values.min(axis=0)
        if (spread < CONSTANT_OUTPUT_SPREAD).all():
            return (f"warning: the model gives (nearly) the same output for every {split} image (largest spread "
                    f"{spread.max():.2g}): it has learned nothing image-specific. Train longer, change --lr, or use "
                    "another --arch")
    return None


def best_epoch_warning(history: list[dict], stage: int, epoch: int, select_by: str) -> str | None:
    """Say so when the epoch kept by validation loss is far below the best validation AUC of its stage."""
    rows = [r for r in history if r["stage"] == stage and r["val_mean_auc"] is not None]
    chosen = next((r for r in rows if r["epoch"] == epoch), None)
    if select_by != "loss" or chosen is None:
        return None
    top = max(rows, key=lambda r: r["val_mean_auc"])
    if top["val_mean_auc"] - chosen["val_mean_auc"] <= AUC_GAP_WARNING:
        return None
    return (f"warning: the best epoch by validation loss is epoch {chosen['epoch']} (val mean AUC "
            f"{chosen['val_mean_auc']:.3f}), but epoch {top['epoch']} reached val mean AUC {top['val_mean_auc']:.3f}; "
            "--select-by auc keeps the epoch with the best AUC")


def fit(opts: FitOptions, on_epoch_end: Callable[[int, int], None] | None = None) -> dict:
    """Train one run (in this process's share when launched by torchrun); returns the metrics."""
    ctx = distributed.init(opts.device)
    try:
        runner = Fit(opts, ctx, on_epoch_end)
        try:
            result = runner.run()
        except BaseException:
            runner.release(failed=True)
            raise
        runner.release(failed=False)
        return result
    finally:
        ctx.close()
