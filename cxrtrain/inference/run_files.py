"""The files of a run folder: which ones fit writes, and its JSON files, written whole and read so that a damaged
one is named with what to do, never a traceback.

A file cut short by a full disk or a copy that stopped, or edited out of shape, is a UserError naming it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from cxrlabel.errors import UserError
from cxrlabel.folder_lock import LOCK
from cxrlabel.output_guard import write_atomically

# What fit writes into a run folder: evaluate, predict and cam never write over any of them.
RUN_FILES = ("config.json", "split.csv", "skipped_images.csv", "history.csv", "log.txt", "last.pt", "best.pt",
             "stage1_best.pt", "thresholds.json", "calibration.json", "metrics.json", "roc_val.png", "roc_test.png",
             "reliability_val.png", "reliability_test.png", "ensemble.json", "checkpoints", "tensorboard", LOCK)

# What to do about a damaged file of a run folder: fit writes these again when the run is resumed (a finished
# run is scored again from best.pt); the settings in config.json exist nowhere else.
WRITTEN_AGAIN = "run fit with $resume on {folder} to write it again from best.pt"
CONFIG_LOST = "it holds the run's settings, which exist nowhere else: put back a copy, or train the run again"


def _damage(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not complete JSON ({exc.msg}, line {exc.lineno})"
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r} entry"
    if isinstance(exc, OSError):
        return f"unreadable ({exc.strerror or exc})"
    if isinstance(exc, ValueError) and not isinstance(exc, UnicodeDecodeError):
        return str(exc)  # a check's own words, e.g. "1 temperatures for 2 outputs"
    return exc.__class__.__name__


def read_run_json(path: Path, fix: str, check: Callable[[Any], Any] = lambda value: value) -> Any:
    """A JSON file of a run folder, through `check` (which takes out what is needed, failing on a wrong shape);
    a file cut short by a full disk or a stopped copy, or edited out of shape, is named with what to do."""
    try:
        return check(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise UserError(f"{path}: damaged ({_damage(exc)}); {fix}") from None


def read_config(path: Path, needed: tuple[str, ...] = ()) -> dict:
    """A run's config.json: "options" (every fit option; those `needed` must be there), "model" (what rebuilds
    the network) and what was resolved from the data, each of the shape fit writes."""
    def check(config: Any) -> dict:
        if not isinstance(config, dict) or not isinstance(config["options"], dict):
            raise TypeError
        missing = [name for name in needed if name not in config["options"]]
        if missing:
            raise KeyError(f"options.{missing[0]}")
        if not isinstance(config.get("model", {}), dict) or not isinstance(config.get("epochs_changes", []), list):
            raise TypeError
        return config
    return read_run_json(path, CONFIG_LOST, check)


def write_json(path: Path, obj: object) -> None:
    """JSON written whole or not at all, like the checkpoints: a reader never sees half a config."""
    write_atomically(path, (json.dumps(obj, indent=2, default=str) + "\n").encode("utf-8"), "out")
