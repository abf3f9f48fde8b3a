"""The local engine: one process, or a pool of worker processes on this machine.

Workers are started with 'spawn': each is a fresh interpreter that loads the models once (on its first
piece) and shares no threads or locks with this process, which has pyarrow and tqdm running. It starts
slower than fork or forkserver (README, "Label a whole archive"), once per run, for not forking a threaded
process and for workers that need no socket (forkserver talks over a Unix socket).

Workers die with this process, however it ends (`start_pool_worker`), and leave Ctrl-C to it: a killed or
interrupted run leaves no worker (and its loaded model) behind, and the multiprocessing resource tracker, whose pipe only
this process and its workers hold, exits once they are gone.
"""
from __future__ import annotations

import ctypes
import importlib.abc
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterable, Iterator

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..errors import UserError
from .engine import Finished, Progress, in_pieces
from .chunk_task import ChunkResult, ChunkTask, TaskSpec

START_METHOD = "spawn"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class _Hidden(importlib.abc.MetaPathFinder):
    """Makes importing some packages fail as if they were not installed. (None in sys.modules would
    do it too, but breaks scipy, which looks torch up there and reads Tensor from it.)"""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (not loaded while cxrlabel labels)", name=name)
        return None


def start_worker(hidden: tuple[str, ...]) -> None:
    """Runs first in each worker.

    - `hidden`: packages the labeller never uses but its libraries import whenever they are installed
      (`LabelerConfig.unused_packages`): thinc imports torch, nltk imports scipy, which costs each worker
      seconds and hundreds of MB. Those not yet imported are hidden, and the libraries go on without them.
    - Each worker labels on one core: numpy's BLAS (the model's matrix products) gets one thread, where
      it would otherwise start a thread per core in every worker and make them compete.
    - tqdm's lock is a thread lock: tqdm would otherwise make a multiprocessing semaphore in each worker, which
      a worker stopped at once (a run that fails, e.g. on a full disk) leaves behind, and the resource tracker
      warns of "leaked semaphore objects" after the one-line error."""
    hide(hidden)
    one_blas_thread()
    tqdm.set_lock(threading.RLock())  # workers show no progress bar; this one process needs no other


def hide(names: Iterable[str]) -> _Hidden | None:
    """Hide those of `names` not imported yet, until the finder returned is taken out of sys.meta_path (None:
    nothing was hidden, as when another finder already hides packages here)."""
    unloaded = frozenset(n for n in names if n not in sys.modules)
    if not unloaded or any(isinstance(f, _Hidden) for f in sys.meta_path):
        return None
    finder = _Hidden(unloaded)
    sys.meta_path.insert(0, finder)
    return finder


@contextmanager
def hidden_while(names: Iterable[str]) -> Iterator[None]:
    """`names` hidden (see `hide`) while labelling in this process, and importable again afterwards.

    Modules first imported meanwhile keep what they found: thinc goes on thinking torch absent, so a process
    that later loads a torch-based spaCy model must load it first (a configuration that may need torch hides
    nothing: `LabelerConfig.unused_packages`)."""
    finder = hide(names)
    try:
        yield
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)


def start_pool_worker(parent: int, hidden: tuple[str, ...]) -> None:
    """Runs first in each worker of the local pool: `start_worker`, after tying the worker to its parent.

    Ctrl-C reaches the whole process group, workers too; they ignore it, and the parent, which stops on
    it, terminates them. It is blocked from their start (`sigint_blocked`), so that one still importing
    does not die with a traceback either."""
    die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_worker(hidden)


def die_with(parent: int) -> None:
    """End this process when `parent`, the process that started it, ends, even by SIGKILL.

    On Linux the kernel sends SIGKILL (PR_SET_PDEATHSIG) when the thread that started this process exits:
    the pool starts its workers from the thread that submits, the main thread, which lives as long as
    the process. A parent that ended before the prctl call is caught by its changed parent id. Elsewhere
    (or where a sandbox refuses the call) a thread watches the parent id."""
    if sys.platform == "linux" and ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
        if os.getppid() != parent:
            os._exit(1)
        return
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="cxrlabel parent watch", daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread while it starts workers, which inherit the blocked signal until
    they ignore it. (A SIGINT that comes meanwhile raises KeyboardInterrupt here once it is unblocked.)"""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def one_blas_thread() -> threadpool_limits:
    """Limit numpy's BLAS to one thread in this process; the limiter's restore_original_limits() undoes it."""
    import numpy  # noqa: F401  (threadpoolctl limits the BLAS libraries already loaded)

    return threadpool_limits(limits=1, user_api="blas")


class LocalEngine:
    def __init__(self, workers: int, work: Callable[[ChunkTask, TaskSpec], ChunkResult],
                 hidden: tuple[str, ...] = ()) -> None:
        """`work`: the picklable function a task is run with (each labeller gives its own). `hidden`: packages
        the labeller need not import (see `start_worker`), hidden in the worker processes; with one worker,
        labelling runs in this process, which gets one BLAS thread and the packages hidden while the engine
        is open (`hidden_while`)."""
        self.workers = workers
        self.hidden = hidden
        self.work = work
        self.pool: ProcessPoolExecutor | None = None
        self.in_process = ExitStack()

    def __enter__(self) -> "LocalEngine":
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(START_METHOD),
                                            initializer=start_pool_worker, initargs=(os.getpid(), self.hidden))
        else:  # labelling in this process: one core, and no torch, as in each worker
            self.in_process.callback(one_blas_thread().restore_original_limits)
            self.in_process.enter_context(hidden_while(self.hidden))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.in_process.close()
        if self.pool is None:
            return
        if exc_type is not None:  # stop at once: workers would otherwise finish their chunks first
            # (Python 3.14 has ProcessPoolExecutor.terminate_workers; before it, only the private table)
            processes = list(getattr(self.pool, "_processes", {}).values())
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join()
            # A worker stopped while it sent a result leaves half a message in the pipe, and the pool's manager
            # thread would wait for the rest forever (shutdown waits for that thread). With every worker gone,
            # closing this process's copy of the pipe's writing end turns that wait into an end of file.
            writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
            if writer is not None:
                writer.close()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def map(self, tasks: Iterable[ChunkTask], spec: TaskSpec, progress: Progress | None = None) -> Iterator[ChunkResult]:
        if self.pool is None:
            yield from in_pieces(lambda task: Finished(self.work(task, spec)), tasks, spec, 1, progress, in_flight=1)
            return
        pool = self.pool

        def submit(task: ChunkTask) -> Future:
            with sigint_blocked():  # the pool starts its workers as the first tasks are submitted
                return pool.submit(self.work, task, spec)

        try:
            yield from in_pieces(submit, tasks, spec, self.workers, progress)
        except BrokenProcessPool:
            raise UserError("a worker process died (killed, or out of memory: try fewer $workers or a smaller "
                            "$chunk_size); finished parts are kept, run the same command with $resume") from None
