"""fit's options checked before anything is read or written: each value on its own, and against the saved run
when it is resumed. A wrong value is an OptionError naming the setting."""
from __future__ import annotations

import json
import os
from dataclasses import asdict

from ..errors import OptionError
from ..evaluation.metrics import parse_operating_point
from ..model.networks import check_image_size
from ..settings import CLASS_WEIGHTS, OPTIMIZERS, SCHEDULES, SELECT_BY, FitOptions, absolute_paths

# Options that may differ when a run is resumed; every other option must match the saved run.
RESUMABLE_CHANGES = {"epochs", "patience", "workers", "device", "amp", "resume", "cache_dir", "progress"}


def check_options(opts: FitOptions, world: int) -> None:
    """Refuse a value fit cannot train with (`world`: the number of processes sharing each batch)."""
    if opts.batch_size < 2 * world:
        raise OptionError("batch_size", opts.batch_size, f"too small: each of the {world} processes "
                          "needs at least 2 images per batch")
    if opts.epochs < 1:
        raise OptionError("epochs", opts.epochs, "must be at least 1")
    if not opts.lr > 0:
        raise OptionError("lr", opts.lr, "must be positive")
    if opts.weight_decay < 0:
        raise OptionError("weight_decay", opts.weight_decay, "must be 0 or more")
    if opts.keep_top < 1:
        raise OptionError("keep_top", opts.keep_top, "must be at least 1")
    if not 0 <= opts.warmup_epochs < opts.epochs:
        raise OptionError("warmup_epochs", opts.warmup_epochs,
                          f"must be at least 0 and below the number of epochs ({opts.epochs})")
    for name, value, allowed in (("class_weights", opts.class_weights, CLASS_WEIGHTS),
                                 ("optimizer", opts.optimizer, OPTIMIZERS),
                                 ("lr_schedule", opts.lr_schedule, SCHEDULES),
                                 ("select_by", opts.select_by, SELECT_BY)):
        if value not in allowed:
            raise OptionError(name, value, f"unknown; choose one of {', '.join(allowed)}")
    parse_operating_point(opts.operating_point)
    check_image_size(opts.arch, opts.image_size)
    if opts.workers is not None and opts.workers < 0:
        raise OptionError("workers", opts.workers, "must be 0 or more")


def settings_changed(saved: dict, opts: FitOptions) -> list[str]:
    """The saved run's settings that these options change, beyond those a resume may change (RESUMABLE_CHANGES),
    each as `$name (saved ..., now ...)`; paths compared whole."""
    current = absolute_paths(json.loads(json.dumps(asdict(opts))))  # as config.json holds them
    saved = absolute_paths(saved)  # a run made before they were stored whole: from here
    return [f"${k} (saved {saved[k]!r}, now {current.get(k)!r})" for k in saved
            if k not in RESUMABLE_CHANGES and saved[k] != current.get(k)]


def loader_workers(workers: int | None, device_type: str) -> int:
    """Loader processes: batches come from a memmap, so the main process keeps up on CPU."""
    if workers is not None:
        return workers
    return min(4, os.cpu_count() or 1) if device_type == "cuda" else 0
