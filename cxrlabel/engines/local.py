"""The local engine: one process, or a pool of worker processes on this machine.

Workers are started with 'spawn': each is a fresh interpreter that loads the models once (on its first
piece) and shares no threads or locks with this process, which has pyarrow and tqdm running. Measured on
2 cores, a 2-worker run of two tiny chunks took 9.5 s with spawn, 7.7 s with forkserver and 6.1 s with
fork: a few seconds once per run, against minutes of labelling, for not forking a threaded process and
for workers that need no socket (forkserver talks over a Unix socket).
"""
from __future__ import annotations

import importlib.abc
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from threadpoolctl import threadpool_limits

from ..errors import UserError
from . import Finished, Progress, in_pieces
from .chunk_task import ChunkResult, ChunkTask, JobSpec, label_chunk

START_METHOD = "spawn"


class _Hidden(importlib.abc.MetaPathFinder):
    """Makes importing some packages fail as if they were not installed. (None in sys.modules would
    do it too, but breaks scipy, which looks torch up there and reads Tensor from it.)"""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (not loaded by this labelling worker)", name=name)
        return None


def start_worker(hidden: tuple[str, ...]) -> None:
    """Runs first in each worker.

    - `hidden`: packages the labeller never uses but its libraries import whenever they are installed
      (`LabelerConfig.unused_packages`): thinc imports torch (1.7 s and 840 MB per worker), nltk
      imports scipy (1.1 s). Those not yet imported are hidden, and the libraries go on without them.
    - Each worker labels on one core: numpy's BLAS (the model's matrix products) gets one thread, where
      it would otherwise start a thread per core in every worker and make them compete."""
    names = frozenset(n for n in hidden if n not in sys.modules)
    if names and not any(isinstance(f, _Hidden) for f in sys.meta_path):
        sys.meta_path.insert(0, _Hidden(names))
    one_blas_thread()


def one_blas_thread() -> threadpool_limits:
    """Limit numpy's BLAS to one thread in this process; the limiter's restore_original_limits() undoes it."""
    import numpy  # noqa: F401  (threadpoolctl limits the BLAS libraries already loaded)

    return threadpool_limits(limits=1, user_api="blas")


class LocalEngine:
    def __init__(self, workers: int, hidden: tuple[str, ...] = ()) -> None:
        """`hidden`: packages the worker processes need not import (see `start_worker`); with one worker,
        labelling runs in this process, which is left as it is but for its BLAS threads."""
        self.workers = workers
        self.hidden = hidden
        self.pool: ProcessPoolExecutor | None = None
        self.blas_limits = None

    def __enter__(self) -> "LocalEngine":
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(START_METHOD),
                                            initializer=start_worker, initargs=(self.hidden,))
        else:  # labelling in this process: one core, as in each worker
            self.blas_limits = one_blas_thread()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.blas_limits is not None:
            self.blas_limits.restore_original_limits()
        if self.pool is None:
            return
        if exc_type is not None:  # stop at once: workers would otherwise finish their chunks first
            # (Python 3.14 has ProcessPoolExecutor.terminate_workers; before it, only the private table)
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def map(self, tasks: Iterable[ChunkTask], spec: JobSpec, progress: Progress | None = None) -> Iterator[ChunkResult]:
        if self.pool is None:
            yield from in_pieces(lambda task: Finished(label_chunk(task, spec)), tasks, spec, 1, progress)
            return
        pool = self.pool
        try:
            yield from in_pieces(lambda task: pool.submit(label_chunk, task, spec), tasks, spec, self.workers, progress)
        except BrokenProcessPool:
            raise UserError("a worker process died (killed, or out of memory: try fewer --workers or a smaller "
                            "--chunk-size); finished parts are kept, run the same command with --resume") from None
