"""The run folder while fit writes it: one run at a time (`RunFolder`, rank 0's lock), its log (`RunLog`), its
small CSVs, and whether $out may take this run: a new run needs a folder without one, a resumed run its own."""
from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Mapping

from cxrlabel.errors import UserError
from cxrlabel.folder_lock import LOCK, hold
from cxrlabel.output_guard import MARKER, claim_folder, write_atomically, writing

from .. import distributed
from ..errors import in_words
from ..inference.run_files import read_config
from ..settings import FitOptions
from .options import settings_changed


class RunFolder:
    """Rank 0 holds the run folder's lock from before the folder is read until the run ends, so a second fit
    into the same $out is refused while this one lives (torchrun's processes are one run: the lock is rank
    0's, and every rank stops alike when it is refused). The folder is claimed on entry: made with our marker,
    or taken when it is empty or ours; one this run made and failed in before writing anything is removed."""

    def __init__(self, out: Path, ctx: distributed.Context):
        self.out, self.ctx = out, ctx
        self.lock: int | None = None  # rank 0's hold on the folder
        self.made = False

    def __enter__(self) -> RunFolder:
        refusal: UserError | None = None
        if self.ctx.main:
            try:
                while self.lock is None:  # None: the folder went away (a refused run removed it); claim it again
                    self.made = claim_folder(self.out, "cxrtrain run", "out") or self.made
                    self.lock = hold(self.out / LOCK, "cxrtrain fit", self.out)
            except UserError as exc:
                refusal = exc
            except OSError as exc:
                refusal = UserError(f"{self.out}: cannot lock the run folder ({exc.strerror or exc}); "
                                    "choose another $out")
        message = self.ctx.from_main(None if refusal is None else refusal.args[0])
        if message is not None:
            raise refusal if refusal is not None else UserError(message)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.lock is None:
            return
        if kind is not None and self.made and {p.name for p in self.out.iterdir()} <= {MARKER, LOCK}:
            shutil.rmtree(self.out, ignore_errors=True)  # still locked: a waiting run sees it go and makes its own
        os.close(self.lock)
        self.lock = None


class RunLog:
    """Messages to stderr and to log.txt in the run folder (main process only). Never report text. A setting
    is named as `flags` word it (the command line's flags), else by its name."""

    def __init__(self, out: Path, enabled: bool, flags: Mapping[str, str] | None = None):
        self.path, self.enabled, self.flags = out / "log.txt", enabled, flags

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        message = in_words(message, self.flags)
        print(f"cxrtrain: {message}", file=sys.stderr, flush=True)
        with writing(self.path, "out"), open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")


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


def config_to_resume(opts: FitOptions) -> dict | None:
    """Whether $out may take this run. With $resume: the saved run's config.json, once $out is known to hold
    last.pt and settings these options do not change; without: None, once $out is known to hold no run."""
    out = Path(opts.out)
    if not opts.resume:
        if (out / "last.pt").exists() or (out / "best.pt").exists():
            raise UserError(f"{out} already holds a run; add $resume to continue it, or choose another $out")
        return None
    if not (out / "last.pt").exists():
        raise UserError(f"$resume: {out} has no last.pt to resume from; run without $resume to start")
    if not (out / "config.json").is_file():
        raise UserError(f"$resume: {out / 'config.json'} is missing, so the run's settings are unknown")
    config = read_config(out / "config.json")
    differing = settings_changed(config["options"], opts)
    if differing:
        raise UserError("$resume continues a run with its saved settings, but these differ: "
                        + "; ".join(differing) + ". Leave them out, or start a new run with another $out")
    return config
