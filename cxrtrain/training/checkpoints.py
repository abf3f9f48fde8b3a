"""The checkpoints of a run folder: last.pt (everything a resume needs), best.pt (the best epoch's weights) and
the --keep-top files in checkpoints/, each written whole through a temporary name."""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import torch

from cxrlabel.errors import UserError
from cxrlabel.output_guard import make_folder, write_atomically

from .. import distributed
from ..data.labelled import Labelled
from ..settings import FitOptions
from .loop import Learner
from .state import Progress, TopEntry

CHECKPOINT_FORMAT = 1


def model_meta(opts: FitOptions, labels: Labelled, input_norm: str) -> dict:
    """What evaluate / predict / cam need to rebuild the model and read its outputs."""
    return {"format": CHECKPOINT_FORMAT, "arch": opts.arch, "image_size": opts.image_size, "task": opts.task,
            "outputs": labels.task.outputs, "widths": labels.widths, "policies": labels.policies, "blank": opts.blank,
            "input": input_norm}


def save_atomic(obj: object, path: Path) -> None:
    """torch.save in memory, then written whole through a temporary name beside `path`: a kill never leaves a
    half-written checkpoint, and a full disk gives one line, not torch's writer error."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_atomically(path, buffer.getvalue(), "out")


def read_checkpoint(path: Path, device: torch.device | str, check: Callable[[dict], bool]) -> dict:
    """A checkpoint this run wrote, loaded on `device`, that `check` finds whole; one cut short, edited or not
    ours is one line naming it."""
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        if not check(checkpoint):
            raise KeyError("state")
    except Exception as exc:  # cut short, or not ours
        raise UserError(f"{path}: cannot read this checkpoint ({exc.__class__.__name__}); the run cannot be "
                        "resumed from it: start it again with another $out") from None
    return checkpoint


def read_last(path: Path) -> dict:
    """last.pt, loaded on the CPU (the optimiser's state follows its parameters to their device when loaded)."""
    return read_checkpoint(path, "cpu", lambda checkpoint: {"stage", "epoch", "history"} <= set(checkpoint["state"]))


def read_best(path: Path, device: torch.device | str) -> dict:
    """best.pt (or a kept epoch's checkpoint): the weights, and the epoch, loss and score they were kept for."""
    return read_checkpoint(path, device, lambda checkpoint: {"model", "epoch"} <= set(checkpoint))


def save_last(out: Path, meta: dict, learner: Learner, progress: Progress, ctx: distributed.Context) -> None:
    """Everything a resume needs: weights, optimiser, scaler, schedule, progress and the random state."""
    if not ctx.main:
        return
    rng = {"torch": torch.get_rng_state(),
           "cuda": torch.cuda.get_rng_state_all() if ctx.device.type == "cuda" else []}
    save_atomic({"cxrtrain": meta, "model": learner.model.state_dict(), "optimizer": learner.optimizer.state_dict(),
                 "scaler": learner.scaler.state_dict(), "schedule": learner.schedule.state_dict(),
                 "state": progress.to_checkpoint(), "rng": rng}, out / "last.pt")


def restore_last(checkpoint: dict, learner: Learner, device: torch.device) -> Progress:
    """The weights, optimiser, scaler, schedule and random state last.pt holds; its progress."""
    learner.model.load_state_dict(checkpoint["model"])
    learner.optimizer.load_state_dict(checkpoint["optimizer"])
    learner.scaler.load_state_dict(checkpoint["scaler"])
    learner.schedule.load_state_dict(checkpoint["schedule"])
    torch.set_rng_state(checkpoint["rng"]["torch"].cpu())
    if device.type == "cuda" and checkpoint["rng"]["cuda"]:
        torch.cuda.set_rng_state_all([s.cpu() for s in checkpoint["rng"]["cuda"]])
    return Progress.from_checkpoint(checkpoint["state"])


def save_best(out: Path, meta: dict, learner: Learner, progress: Progress, select_by: str,
              ctx: distributed.Context) -> None:
    if ctx.main:
        save_atomic({"cxrtrain": meta, "model": learner.model.state_dict(), "stage": progress.stage,
                     "epoch": progress.best_epoch, "val_loss": progress.best_loss, "select_by": select_by,
                     "score": progress.best_score}, out / "best.pt")


def load_weights(model: torch.nn.Module, path: Path, device: torch.device) -> dict:
    """A checkpoint of this run loaded into `model`; the checkpoint (its stage, epoch, score...)."""
    checkpoint = read_best(path, device)
    model.load_state_dict(checkpoint["model"])
    return checkpoint


def keep_top(out: Path, meta: dict, learner: Learner, progress: Progress, score: float, epoch: int, keep: int,
             ctx: distributed.Context) -> None:
    """Keep the `keep` best epochs of this stage as checkpoints/ files, for --ensemble (`epoch`: the one just
    trained, scored `score`)."""
    top, stage = progress.top, progress.stage
    if keep < 2 or (len(top) >= keep and score >= top[-1].score):
        return
    entry = TopEntry(score, stage, epoch, f"checkpoints/stage{stage}_epoch{epoch:03d}.pt")
    if ctx.main:
        make_folder(out / "checkpoints", "out")
        save_atomic({"cxrtrain": meta, "model": learner.model.state_dict(), "stage": stage, "epoch": epoch,
                     "score": score}, out / entry.file)
    top.append(entry)
    top.sort(key=lambda e: e.score)
    for dropped in top[keep:]:
        if ctx.main:
            (out / dropped.file).unlink(missing_ok=True)  # a file this run wrote
    del top[keep:]
