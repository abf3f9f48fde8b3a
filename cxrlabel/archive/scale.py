"""How an archive run is spread and kept (workers, chunk size, engine, resume), and the defaults the command line
shows: no pandas or engine here, so that `--help` is quick; archive.run acts on it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..output_guard import is_stream

if TYPE_CHECKING:
    from .parts import PartStore

DEFAULT_CHUNK_SIZE = 10_000
ENGINES = ("local", "dask")


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity, which a scheduler may limit), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Scale:
    """How a run is spread and kept; none of it changes the output, so --resume lets all but chunk_size change."""

    workers: int | None = None  # processes; None: default_workers()
    chunk_size: int | None = None  # rows per part; None: the resumed run's, else DEFAULT_CHUNK_SIZE
    resume: bool = False
    keep_parts: bool = False
    engine: str = "local"
    scheduler: str | None = None  # with engine dask: an existing cluster's address

    def check(self, output: Path | None = None) -> None:
        """Refuse settings that cannot work; with the run's `output`, also those that need parts beside it."""
        if output is not None and is_stream(output):
            for name in ("resume", "keep_parts"):
                if getattr(self, name):
                    raise UserError(f"${name}: {output} is written into (standard output, a device or a pipe), so "
                                    "the run keeps no parts beside it; give an output file to use it")
        for name in ("chunk_size", "workers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UserError(f"${name} must be at least 1")
        if self.engine not in ENGINES:
            raise UserError(f"$engine must be one of {', '.join(ENGINES)}")
        if self.scheduler and self.engine != "dask":
            raise UserError("$scheduler is for $engine dask")

    def chunk_size_for(self, store: PartStore) -> int:
        """A resumed run keeps the chunk size its parts were cut with."""
        return self.chunk_size or (store.saved_chunk_size() if self.resume else None) or DEFAULT_CHUNK_SIZE
