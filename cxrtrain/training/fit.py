"""`cxrtrain fit`: from a label table and an image folder to a run folder with the best model.

`fit` reads top to bottom as its steps: check the options and the run folder, `load_data`, `build_learner`,
resume or start, `train_stage` (each epoch: `loop.train_one_epoch`, `loop.validate`, checkpoints), and
`score_best`, which calibrates the best epoch (and the --keep-top ensemble) on validation and scores it.

A run folder holds: config.json (every option and what was resolved from the data), split.csv,
skipped_images.csv, history.csv, log.txt, last.pt (resumable state), best.pt (weights of the epoch
with the lowest validation loss), thresholds.json, metrics.json and roc_*.png, and the marker that
makes it ours: fit starts a run only in a new or empty folder, or one it made. The folder is locked while a run
writes it (`.lock`, held by rank 0), so a second fit into it is refused with the first one's PID.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from cxrlabel.output_guard import write_atomically

from .. import distributed
from ..data.augment import build_augment
from ..data.batches import CachedBatches, TrainBatches, make_loader, oversample_weights
from ..data.policies import relabel_uncertain
from ..errors import in_words
from ..evaluation.reports import calibrate_and_score
from ..inference.logits import mean_logits, predict_logits
from ..inference.run_files import write_json
from ..model.losses import TaskLoss, balanced_weights, probabilities
from ..model.networks import CXRNet, load_initial_weights
from ..settings import FitOptions
from .checkpoints import keep_top, load_weights, save_best, save_last
from .inputs import RunData, load_data
from .loop import Learner, optimisation, selection_score, train_one_epoch, validate
from .options import check_options, loader_workers
from .resume import plan_resume, resume, stage_count
from .run_folder import RunFolder, RunLog, config_to_resume, write_csv_rows
from .sanity import best_epoch_warning, constant_output_warning
from .state import HISTORY_FIELDS, HistoryRow, Progress

EpochHook = Callable[[int, int], None]  # (stage, epoch) after each epoch is saved: the tests' way to stop a run


class Session:
    """What every step of one run in one process (rank) reads: its options, process context, folder, log, and
    the running choices resolved from them."""

    def __init__(self, opts: FitOptions, ctx: distributed.Context, flags: Mapping[str, str] | None):
        self.opts, self.ctx, self.out = opts, ctx, Path(opts.out)
        self.log = RunLog(self.out, ctx.main, flags)
        self.amp = opts.amp and ctx.device.type == "cuda"
        # A bar redrawn with carriage returns is for a terminal; a log file gets one line per epoch.
        self.show_progress = opts.progress and sys.stderr.isatty()
        self.workers = loader_workers(opts.workers, ctx.device.type)


def fit(opts: FitOptions, on_epoch_end: EpochHook | None = None, *, flags: Mapping[str, str] | None = None) -> dict:
    """Train one run (in this process's share when launched by torchrun); returns the metrics. `flags`: how the
    log names a setting (the command line's flags; default its name)."""
    ctx = distributed.init(opts.device)
    try:
        with RunFolder(Path(opts.out), ctx):
            return train_run(opts, ctx, flags, on_epoch_end)
    finally:
        ctx.close()


def train_run(opts: FitOptions, ctx: distributed.Context, flags: Mapping[str, str] | None,
              on_epoch_end: EpochHook | None) -> dict:
    """The run, step by step, in a folder this process may write (rank 0 holds its lock)."""
    config = config_to_resume(opts)
    plan = plan_resume(opts, config) if config is not None else None
    check_options(opts, ctx.world)
    session = Session(opts, ctx, flags)
    data = load_data(opts, ctx, session.log, session.workers, session.show_progress, plan)
    learner = build_learner(session, data)
    stages = stage_count(data.labels.policies)
    progress = Progress() if plan is None else resume(plan, learner, opts, stages, ctx.device, session.log)
    board = tensorboard_writer(session.out / "tensorboard") if ctx.main else None
    while progress.stage <= stages:
        train_stage(session, data, learner, progress, board, on_epoch_end)
        if progress.stage < stages:
            continue_from_stage_best(session, learner)
        progress.next_stage()
        save_last(session.out, data.meta, learner, progress, ctx)
        ctx.barrier()
    if board is not None:
        board.close()
    return score_best(session, data, learner, progress)


def build_learner(session: Session, data: RunData) -> Learner:
    """The network, seeded, with its initial weights, on its device (wrapped for DDP), and a fresh optimiser."""
    opts, ctx, log = session.opts, session.ctx, session.log
    torch.manual_seed(opts.seed)
    model = CXRNet(opts.arch, data.width, data.meta["input"])
    if not opts.resume:  # a resumed run's weights come from last.pt, and `resume` says so
        log(load_initial_weights(model, opts.weights, data.labels.task.outputs) if opts.weights
            else f"{opts.arch}: random initialisation (no $weights given; nothing is downloaded)")
    if opts.amp and not session.amp:
        log("$amp ignored: mixed precision is used on CUDA only")
    model.to(ctx.device)
    if ctx.device.type == "cuda":
        model.channels_last = True
        model.to(memory_format=torch.channels_last)
    trained: torch.nn.Module = model
    if ctx.distributed:
        if ctx.device.type == "cuda":
            torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        elif any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
            log("note: on CPU each process normalises its own share of a batch (SyncBatchNorm needs "
                "CUDA), so BatchNorm models differ slightly from one-process training")
        trained = DistributedDataParallel(model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    return Learner(model, trained, *optimisation(model, opts, ctx.device, session.amp))


def continue_from_stage_best(session: Session, learner: Learner) -> None:
    """U-SelfTrained: the second stage starts from the best first-stage model, with a fresh optimiser."""
    out, ctx = session.out, session.ctx
    if ctx.main:
        write_atomically(out / "stage1_best.pt", (out / "best.pt").read_bytes(), "out")
    ctx.barrier()
    load_weights(learner.model, out / "stage1_best.pt", ctx.device)
    learner.fresh_optimizer(session.opts, ctx.device, session.amp)


def stage_targets(session: Session, data: RunData, stage: int) -> tuple[np.ndarray, np.ndarray]:
    """Training targets: the policy's, or for U-SelfTrained's second stage, the first model's predictions."""
    opts, ctx, labels, train = session.opts, session.ctx, data.labels, data.rows["train"]
    targets, mask = labels.targets[train], labels.mask[train]
    if stage == 1:
        return targets, mask
    first = CXRNet(opts.arch, data.width, data.meta["input"]).to(ctx.device)
    load_weights(first, session.out / "stage1_best.pt", ctx.device)
    logits = predict_logits(first, data.pack, train, data.width, ctx, opts.batch_size, session.workers, session.amp)
    probs = probabilities(opts.task, labels.widths, torch.from_numpy(logits)).numpy()
    relabelled = relabel_uncertain(targets, mask, labels.task.values[train], labels.policies, probs)
    session.log(f"U-SelfTrained: {int(relabelled[1].sum() - mask.sum())} uncertain labels relabelled with the "
                "first model's probabilities")
    return relabelled


def stage_loss(session: Session, data: RunData, targets: np.ndarray, mask: np.ndarray) -> list[torch.Tensor] | None:
    """$class_weights balanced: the loss weights of each output's classes, logged; else None."""
    opts, outputs = session.opts, data.labels.task.outputs
    if opts.class_weights != "balanced":
        return None
    weights = balanced_weights(opts.task, targets, mask, data.labels.widths)
    if opts.task == "multiclass":
        session.log("class weights: " + ", ".join(f"{name} {w:.3f}" for name, w in zip(outputs, weights[0].tolist())))
    else:
        session.log("class weights (negative, positive[, uncertain]) per output: " + "; ".join(
            f"{name} {', '.join(f'{w:.3f}' for w in weight.tolist())}" for name, weight in zip(outputs, weights)))
    return weights


def train_stage(session: Session, data: RunData, learner: Learner, progress: Progress, board: object | None,
                on_epoch_end: EpochHook | None) -> None:
    """The epochs of one stage, each trained, validated, checkpointed and logged, until $epochs or $patience."""
    opts, ctx, log, stage = session.opts, session.ctx, session.log, progress.stage
    progress.top = [e for e in progress.top if e.stage == stage]  # an ensemble is of one stage
    targets, mask = stage_targets(session, data, stage)
    weights = stage_loss(session, data, targets, mask)
    draw = oversample_weights(opts.task, targets, mask, data.labels.widths) if opts.oversample else None
    if draw is not None:
        log(f"oversampling: the most drawn image is drawn {draw.max() / draw.min():.1f}x as often as the least drawn")
    augment = build_augment(opts.image_size, opts.hflip) if opts.augment else None
    criterion = TaskLoss(opts.task, data.labels.widths, weights).to(ctx.device)
    val_criterion = TaskLoss(opts.task, data.labels.widths, weights)
    sampler = TrainBatches(len(targets), opts.batch_size, opts.seed, ctx.world, ctx.rank, draw)
    loader = make_loader(CachedBatches(data.pack, data.rows["train"], targets, mask, augment, opts.seed),
                         sampler, session.workers, ctx.device.type == "cuda")
    while progress.epoch < opts.epochs and not progress.stopped:
        epoch = progress.epoch + 1
        sampler.set_epoch(epoch - 1 + 1000 * (stage - 1))
        lr = learner.lr
        trained = train_one_epoch(learner, loader, criterion, ctx, session.amp, session.show_progress,
                                  f"stage {stage} epoch {epoch}/{opts.epochs}")
        val_loss, val_auc = validate(learner.model, data.labels, data.pack, data.rows["val"], val_criterion, opts,
                                     ctx, session.workers, session.amp)
        score = selection_score(opts.select_by, val_loss, val_auc)
        learner.schedule.step(score)
        improved = score < progress.best_score
        if improved:
            progress.best_score, progress.best_loss, progress.best_epoch, progress.bad_epochs = score, val_loss, epoch, 0
            save_best(session.out, data.meta, learner, progress, opts.select_by, ctx)
        else:
            progress.bad_epochs += 1
        keep_top(session.out, data.meta, learner, progress, score, epoch, opts.keep_top, ctx)
        progress.epoch = epoch
        progress.stopped = opts.patience > 0 and progress.bad_epochs >= opts.patience
        row = HistoryRow(stage, epoch, round(trained.train_loss, 6), round(val_loss, 6),
                         None if val_auc is None else round(val_auc, 6), round(progress.best_loss, 6), improved,
                         round(trained.images_per_s, 2), round(trained.seconds, 2), lr)
        progress.history.append(row)
        save_last(session.out, data.meta, learner, progress, ctx)
        if ctx.main:
            write_csv_rows(session.out / "history.csv", HISTORY_FIELDS, [asdict(r) for r in progress.history])
            if board is not None:
                step = (stage - 1) * opts.epochs + epoch
                for key in ("train_loss", "val_loss", "val_mean_auc", "images_per_s"):
                    if getattr(row, key) is not None:
                        board.add_scalar(key, getattr(row, key), step)
        log(f"stage {stage} epoch {epoch}/{opts.epochs}: train loss {trained.train_loss:.4f}, val loss "
            f"{val_loss:.4f}, val mean AUC {'n/a' if val_auc is None else f'{val_auc:.3f}'}, "
            f"{trained.images_per_s:.1f} images/s" + (" (best so far)" if improved else ""))
        ctx.barrier()
        if on_epoch_end is not None:
            on_epoch_end(stage, epoch)
        if progress.stopped:
            log(f"early stop: validation {opts.select_by} has not improved for {opts.patience} epochs")


def split_logits(session: Session, data: RunData, models: list[CXRNet]) -> dict[str, np.ndarray]:
    """The mean logits of `models` on the validation and test rows."""
    return {split: mean_logits(models, data.pack, data.rows[split], data.width, session.ctx, session.opts.batch_size,
                               session.workers, session.amp) for split in ("val", "test")}


def score_best(session: Session, data: RunData, learner: Learner, progress: Progress) -> dict:
    """Reload the best epoch; temperatures and thresholds from validation; metrics for validation and test;
    the same for the ensemble of the top checkpoints when --keep-top kept several. Written to the run folder
    (calibration.json, thresholds.json, ensemble.json, metrics.json) and returned."""
    opts, ctx, out, labels = session.opts, session.ctx, session.out, data.labels
    best = load_weights(learner.model, out / "best.pt", ctx.device)
    logits = split_logits(session, data, [learner.model])
    values = {split: labels.task.values[data.rows[split]] for split in ("val", "test")}

    def scored(split_logits: dict[str, np.ndarray], plots: bool) -> tuple[dict, dict, dict]:
        return calibrate_and_score(opts.task, labels.task.outputs, labels.widths, opts.blank, opts.operating_point,
                                   values, split_logits, out if plots and ctx.main else None)

    calibration, thresholds, reports = scored(logits, True)
    sanity = sanity_warnings(opts, labels.widths, logits, progress, best)
    warnings = [in_words(w) for w in [*data.warnings, *sanity]]
    result = {"task": opts.task, "arch": opts.arch, "image_size": opts.image_size,
              "best_stage": best["stage"], "best_epoch": best["epoch"], "best_val_loss": round(best["val_loss"], 6),
              "select_by": opts.select_by,
              "thresholds_from": f"val (operating_point {opts.operating_point}), applied unchanged to test",
              "calibration": "temperature scaling on val; every probability below is calibrated",
              "temperatures": dict(zip(labels.task.outputs if opts.task != "multiclass" else ["all"],
                                       calibration["temperatures"])),
              "skipped_images": data.skipped, "warnings": warnings,
              "notes": [in_words(n) for n in data.notes] + calibration["notes"], **reports}
    ensemble = None
    if len(progress.top) > 1:
        members = []
        for entry in progress.top:
            member = CXRNet(opts.arch, data.width, data.meta["input"]).to(ctx.device)
            load_weights(member, out / entry.file, ctx.device)
            members.append(member)
        ens_calibration, ens_thresholds, ens_reports = scored(split_logits(session, data, members), False)
        ensemble = {"members": [e.file for e in progress.top], "epochs": [e.epoch for e in progress.top],
                    "combination": "mean of the members' logits, then the ensemble's own temperatures",
                    **ens_calibration, "thresholds": ens_thresholds}
        result["ensemble"] = {"members": ensemble["epochs"], **ens_reports}
    if ctx.main:
        write_json(out / "calibration.json", calibration)
        write_json(out / "thresholds.json", thresholds)
        if ensemble is not None:
            write_json(out / "ensemble.json", ensemble)
        write_json(out / "metrics.json", result)
        for warning in sanity:
            session.log(warning)
        test = result["test"]
        summary = ", ".join(f"{k} {test[k]:.3f}" for k in ("mean_auc", "mean_average_precision", "top3_sensitivity")
                            if test.get(k) is not None)
        session.log(f"done: best epoch {best['epoch']} (stage {best['stage']}, by validation {opts.select_by}); "
                    f"test {summary or 'n/a'}; metrics in {out / 'metrics.json'}")
        if ensemble is not None and result["ensemble"]["test"].get("mean_auc") is not None:
            session.log(f"ensemble of epochs {', '.join(map(str, ensemble['epochs']))}: test mean AUC "
                        f"{result['ensemble']['test']['mean_auc']:.3f} (evaluate / predict --ensemble)")
    return result


def sanity_warnings(opts: FitOptions, widths: list[int], logits: dict[str, np.ndarray], progress: Progress,
                    best: dict) -> list[str]:
    """What a reader of the metrics must know about the model the run kept."""
    probs = {split: probabilities(opts.task, widths, torch.from_numpy(values)).numpy()
             for split, values in logits.items()}
    return [w for w in (constant_output_warning(probs),
                        best_epoch_warning(progress.history, best["stage"], best["epoch"], opts.select_by)) if w]


def tensorboard_writer(folder: Path) -> object | None:
    """A SummaryWriter when TensorBoard is installed; training never depends on it."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(folder))
