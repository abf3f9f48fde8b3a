"""`load_data`, fit's first step: the label table read and checked, the patient-level split, the run's record of
both (config.json, split.csv), and the images decoded into the cache; the rows each split trains or scores."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cxrlabel.errors import UserError
from cxrlabel.output_guard import make_folder

from .. import distributed
from ..data.cache import ImagePack, build_pack, default_cache_dir
from ..data.labelled import Labelled, prepare_labels
from ..data.splits import SPLITS, load_split, save_split, split_by_group
from ..errors import in_words
from ..evaluation.metrics import scorable
from ..inference.run_files import write_json
from ..model.networks import weights_input_norm
from ..settings import MIN_CLASS_TRAIN_IMAGES, FitOptions, absolute_paths
from .checkpoints import model_meta
from .resume import ResumePlan
from .run_folder import RunLog, write_csv_rows

# Target classes by index: a one-logit output trains on 0/1, a U-MultiClass head on 0/1/2.
TARGET_CLASSES = ("negative", "positive", "uncertain")
NO_PATIENT_WARNING = ("WARNING: no patient id column found, so the split is by IMAGE: one patient's images can "
                      "land in train and in test, and the test metrics will be optimistic. Give the patient column "
                      "with $split_column")


@dataclass
class RunData:
    """What the run trains and scores on: the labels, the cached images, the pack rows of each split (those
    with a readable image and a usable label), and what config.json and metrics.json say about them."""

    labels: Labelled
    pack: ImagePack
    rows: dict[str, np.ndarray]  # split name ("train", "val", "test") -> pack rows
    meta: dict  # the model's description in config.json and every checkpoint (`checkpoints.model_meta`)
    notes: list[str]
    warnings: list[str]
    skipped: int

    @property
    def width(self) -> int:
        """The network's outputs: one logit per output, three per U-MultiClass head (one per class)."""
        return sum(self.labels.widths)


def load_data(opts: FitOptions, ctx: distributed.Context, log: RunLog, workers: int, progress: bool,
              plan: ResumePlan | None) -> RunData:
    """The run's data, with its record written (rank 0) and logged; a resumed run keeps its saved split."""
    out = Path(opts.out)
    labels = prepare_labels(opts.labels, opts.images, path_column=opts.path_column, id_column=opts.id_column,
                            image_pattern=opts.image_pattern, task=opts.task, observations=opts.observations,
                            policy=opts.policy, policy_per_observation=opts.policy_per_observation,
                            blank=opts.blank, split_column=opts.split_column, encoding=opts.encoding,
                            frontal_only=opts.frontal_only, metadata=opts.metadata)
    meta = model_meta(opts, labels, weights_input_norm(opts.weights, opts.arch) if opts.weights else "imagenet")
    split = (load_split(out / "split.csv", len(labels.paths)) if opts.resume
             else split_by_group(labels.groups, opts.val_frac, opts.test_frac, opts.seed))
    ctx.barrier()  # every rank has validated the run folder before rank 0 writes to it
    notes = [f"label table layout: {labels.layout} (detected from its columns)", *labels.layout_notes,
             *labels.task.notes]
    warnings = [note for note in notes if note.startswith("warning:")]
    if labels.group_column:
        notes.append(f"split by patient, patient ids from {labels.patient_source}: no patient in two splits")
    else:
        warnings.append(NO_PATIENT_WARNING)
    if ctx.main:
        make_folder(out, "out")
        if not opts.resume:
            save_split(out / "split.csv", labels.paths, labels.groups, split)
        write_json(out / "config.json", {
            "options": absolute_paths(asdict(opts)), "model": meta, "path_column": labels.path_column,
            "patient_column": labels.group_column, "patient_source": labels.patient_source, "layout": labels.layout,
            "notes": [in_words(n) for n in notes], "warnings": [in_words(w) for w in warnings],
            **({"epochs_changes": plan.epochs_changes} if plan is not None and plan.epochs_changes else {})})
    for note in notes:
        log(note)
    if not labels.group_column:
        log("!" * 100)
        log(NO_PATIENT_WARNING)
        log("!" * 100)
    log(f"{len(labels.paths)} rows; task {opts.task}; outputs: {', '.join(labels.task.outputs)}"
        + (f"; policies: {', '.join(f'{o}={p}' for o, p in zip(labels.task.outputs, labels.policies))}"
           if labels.policies else ""))
    pack = cache_images(labels, opts, ctx, workers, progress)
    skipped = np.flatnonzero(~pack.ok)
    if ctx.main:
        write_csv_rows(out / "skipped_images.csv", ["line", "image", "reason"],
                       [[labels.lines[i], labels.paths[i], pack.errors[i]] for i in skipped])
    if len(skipped):
        log(f"skipped {len(skipped)} unreadable or missing images; listed in {out / 'skipped_images.csv'}")
    keep = pack.ok & labels.task.usable
    rows = {name: np.flatnonzero(keep & (split == name)) for name in SPLITS}
    log("images per split: " + ", ".join(f"{k} {len(v)}" for k, v in rows.items()))
    if len(rows["train"]) < 2 * ctx.world:
        raise UserError(f"only {len(rows['train'])} training images could be used; check the labels and images")
    if len(rows["val"]) == 0:
        raise UserError("the validation split is empty, but the best epoch is chosen on it; raise $val_frac "
                        "or add images")
    check_training_labels(labels, rows, opts, log)
    return RunData(labels, pack, rows, meta, notes, warnings, int(len(skipped)))


def cache_images(labels: Labelled, opts: FitOptions, ctx: distributed.Context, workers: int,
                 progress: bool) -> ImagePack:
    """The images decoded once into the cache at the run's size: one process decodes, the others then open the
    finished pack."""
    cache_dir = Path(opts.cache_dir) if opts.cache_dir else default_cache_dir()
    if ctx.main:
        pack = build_pack(labels.paths, opts.image_size, cache_dir, workers, progress)
    ctx.barrier()
    if not ctx.main:
        pack = build_pack(labels.paths, opts.image_size, cache_dir, workers, progress=False)
    return pack


def check_training_labels(labels: Labelled, rows: dict[str, np.ndarray], opts: FitOptions, log: RunLog) -> None:
    """Refuse outputs the training split gives nothing to learn from; warn about those that see one class.

    Without this, $blank ignore on blank columns (or u-ignore on uncertain ones) trains on no cell at
    all and reports a loss of 0, and a multiclass class of a few images is never predicted."""
    train, outputs = rows["train"], labels.task.outputs
    if opts.task == "multiclass":
        counts = {split: np.bincount(labels.targets[rows[split], 0].astype(int), minlength=len(outputs))
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
    for j, (name, width) in enumerate(zip(outputs, labels.widths)):
        labelled = labels.mask[train, j]
        values = labels.task.values[train, j]
        if not labelled.any():
            empty.append(f"{name} ({int(np.isnan(values).sum())} blank, {int((values == -1).sum())} uncertain "
                         f"of {len(train)})")
            continue
        counts = np.bincount(labels.targets[train, j][labelled].astype(int), minlength=max(width, 2))
        if np.count_nonzero(counts) < 2:
            log(f"warning: {name} has a single class in the training split ("
                + ", ".join(f"{n} {TARGET_CLASSES[c]}" for c, n in enumerate(counts))
                + f", after {labels.policies[j]} and $blank {opts.blank}): the model cannot learn to tell its "
                  "classes apart, and its AUC will be undefined; add images of the missing class or leave "
                  "it out with $observations")
    if opts.select_by == "auc":
        val_labels = [scorable(labels.task.values[rows["val"], j], opts.blank) for j in range(len(outputs))]
        if not any(0 < y[u].sum() < u.sum() for y, u in val_labels):
            raise UserError("$select_by auc: no observation has both positive and negative labels in the "
                            "validation split, so its AUC is undefined; use $select_by loss or raise $val_frac")
    if empty:
        raise UserError("no labelled training rows for " + ", ".join(empty) + ": with $blank "
                        f"{opts.blank} and the uncertainty policy, every cell is masked, so nothing would be "
                        "learned. Use $blank zero to count blank cells as negatives, a $policy such as u-zeros "
                        "or u-ones to train uncertain ones, or leave these out with $observations")
