"""$resume: what a resumed run does, decided from last.pt before anything is written (go on in its stage, to more
epochs than it was started with if $epochs says so, or score best.pt again), and the run brought back to it."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from ..errors import OptionError
from ..model.optimisers import PLANNED, EpochSchedule
from ..settings import FitOptions
from .checkpoints import read_best, read_last, restore_last
from .loop import Learner
from .run_folder import RunLog
from .state import Progress


def stage_count(policies: list[str]) -> int:
    """U-SelfTrained trains twice (the second time on the first model's relabelling); every other run once."""
    return 2 if "u-selftrained" in policies else 1


@dataclass
class ResumePlan:
    """last.pt, and the changes of $epochs since the run began (`change`: this resume's), for config.json."""

    checkpoint: dict
    epochs_changes: list[dict] = field(default_factory=list)
    change: dict | None = None


def plan_resume(opts: FitOptions, config: dict) -> ResumePlan:
    """Read last.pt and check $epochs against it: fewer epochs than were trained are refused."""
    out = Path(opts.out)
    checkpoint = read_last(out / "last.pt")
    state = checkpoint["state"]
    stages = stage_count(config.get("model", {}).get("policies", []))
    done = (state["epoch"] if state["stage"] <= stages
            else sum(1 for row in state["history"] if row["stage"] == stages))
    if opts.epochs < done:
        raise OptionError("epochs", opts.epochs, f"the run in {out} has already trained {done} epochs"
                          + (f" in stage {stages}" if stages > 1 else "") + f"; give $epochs {done} or more")
    saved_epochs = config["options"].get("epochs", opts.epochs)
    plan = ResumePlan(checkpoint, list(config.get("epochs_changes", [])))
    if saved_epochs != opts.epochs:
        plan.change = {"stage": min(state["stage"], stages), "after_epoch": done, "from": saved_epochs,
                       "to": opts.epochs}
        plan.epochs_changes.append(plan.change)
    return plan


def resume(plan: ResumePlan, learner: Learner, opts: FitOptions, stages: int, device: torch.device,
           log: RunLog) -> Progress:
    """The run as last.pt holds it; a finished run that $epochs lets train on is reopened in its last stage, and a
    schedule planned for another number of epochs is rebuilt for the new number."""
    out = Path(opts.out)
    progress = restore_last(plan.checkpoint, learner, device)
    if progress.stage > stages:
        progress = reopen(progress, opts, stages, log)
        if progress.stage > stages:
            return progress
    log(f"resumed from {out / 'last.pt'}: stage {progress.stage}, {progress.epoch} epoch(s) done")
    if plan.change is not None:
        rebuilt = opts.lr_schedule in PLANNED
        if rebuilt:
            learner.schedule = EpochSchedule.replayed(learner.optimizer, opts.lr_schedule, opts.epochs,
                                                      opts.warmup_epochs, opts.lr, progress.epoch)
        log(f"$epochs {plan.change['from']} -> {opts.epochs} after epoch {progress.epoch}: "
            + (f"the {opts.lr_schedule} learning-rate schedule is rebuilt for {opts.epochs} epochs, as if "
               f"planned so from the start (next rate {learner.lr:.3g})"
               if rebuilt else f"the {opts.lr_schedule} learning-rate schedule does not depend on it"))
    return progress


def reopen(finished: Progress, opts: FitOptions, stages: int, log: RunLog) -> Progress:
    """A finished run's progress, back in its last stage when there are epochs left to train (more $epochs, or a
    $patience that no longer stops it); else the finished progress, and best.pt is scored again."""
    out = Path(opts.out)
    done = finished.stage_epochs(stages)
    best = read_best(out / "best.pt", "cpu")
    bad = done - best["epoch"]
    reopened = replace(finished, stage=stages, epoch=done, best_loss=best["val_loss"],
                       best_score=best.get("score", best["val_loss"]), best_epoch=best["epoch"], bad_epochs=bad,
                       stopped=opts.patience > 0 and bad >= opts.patience)
    if done < opts.epochs and not reopened.stopped:
        log(f"the run had finished {done} epochs; it trains on to epoch {opts.epochs}")
        return reopened
    stopped = f", stopped early by $patience {opts.patience}" if reopened.stopped and done < opts.epochs else ""
    log(f"the run in {out} has finished {done} epochs{stopped}: nothing is left to train, so best.pt "
        "is scored again (metrics, thresholds, calibration); give a larger $epochs to train it longer")
    return finished
