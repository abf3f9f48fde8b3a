"""The local engine: one process, or a pool of worker processes on this machine.

Workers are started with 'spawn': each is a fresh interpreter that loads the models once (on its first
chunk) and shares no threads or locks with this process, which has pyarrow and tqdm running. Measured on
2 cores, a 2-worker run of two tiny chunks took 9.5 s with spawn, 7.7 s with forkserver and 6.1 s with
fork: a few seconds once per run, against minutes of labelling, for not forking a threaded process and
for workers that need no socket (forkserver talks over a Unix socket).
"""
from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from ..errors import UserError
from . import ordered_results
from .chunk_task import ChunkResult, ChunkTask, JobSpec, label_chunk

START_METHOD = "spawn"


def start_worker(without_torch: bool) -> None:
    """Runs first in each worker. thinc imports torch whenever it is installed, though the shipped
    spaCy model never uses it: 1.7 s and 840 MB per worker. A worker whose labeller needs no torch
    marks it absent, so thinc goes on without it."""
    if without_torch:
        sys.modules.setdefault("torch", None)


class LocalEngine:
    def __init__(self, workers: int, without_torch: bool = False) -> None:
        self.workers = workers
        self.without_torch = without_torch
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "LocalEngine":
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(START_METHOD),
                                            initializer=start_worker, initargs=(self.without_torch,))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.pool is None:
            return
        if exc_type is not None:  # stop at once: workers would otherwise finish their chunks first
            # (Python 3.14 has ProcessPoolExecutor.terminate_workers; before it, only the private table)
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def map(self, tasks: Iterable[ChunkTask], spec: JobSpec) -> Iterator[ChunkResult]:
        if self.pool is None:
            yield from (label_chunk(task, spec) for task in tasks)
            return
        pool = self.pool
        try:
            yield from ordered_results(lambda task: pool.submit(label_chunk, task, spec), tasks, 2 * self.workers)
        except BrokenProcessPool:
            raise UserError("a worker process died (killed, or out of memory: try fewer --workers or a smaller "
                            "--chunk-size); finished parts are kept, run the same command with --resume") from None
