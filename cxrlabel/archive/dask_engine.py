"""The Dask engine: each piece of a chunk is a task on a dask.distributed cluster, running the same work function.

With `--scheduler tcp://HOST:PORT` it uses an existing cluster (its workers need cxrlabel and the parser
model installed); without, it starts a LocalCluster of single-threaded worker processes. Parts and the
manifest are still written by this process, so --resume and the output are the same as the local engine's.
"""
from __future__ import annotations

import logging
import signal
import socket
from typing import Callable, Iterable, Iterator

from ..errors import UserError
from .engine import Progress, in_pieces
from .chunk_task import ChunkResult, ChunkTask, TaskSpec
from .local_engine import start_worker


def check_loopback() -> None:
    """A LocalCluster's scheduler, nannies and workers talk over TCP on 127.0.0.1. Where that fails (the
    loopback interface down, a sandbox), distributed retries for a minute and ends in four tracebacks."""
    try:
        with socket.create_server(("127.0.0.1", 0)) as server, \
                socket.create_connection(server.getsockname()[:2], timeout=5):
            pass
    except OSError as exc:
        raise UserError(f"--engine dask starts a local cluster, which talks over TCP on 127.0.0.1, but that fails here "
                        f"({exc.strerror or exc}): bring the loopback interface up (`ip link set lo up`), give "
                        "$scheduler, or use $engine local") from None


def ignore_sigint() -> None:
    """Run in each worker of our LocalCluster: Ctrl-C reaches them too, and would end each in a traceback;
    this process stops on it and closes them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class DaskEngine:
    def __init__(self, workers: int, work: Callable[[ChunkTask, TaskSpec], ChunkResult], scheduler: str | None = None,
                 hidden: tuple[str, ...] = ()) -> None:
        """`hidden`: packages the workers of a LocalCluster we start need not import (as the local engine's);
        a user's own cluster is left as it is, since other work may share its workers. `work`: the function
        each task runs, as in `LocalEngine`."""
        self.work = work
        self.workers = workers
        self.scheduler = scheduler
        self.hidden = hidden
        self.cluster = None
        self.client = None

    def __enter__(self) -> "DaskEngine":
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise UserError("--engine dask needs dask.distributed; install it with `pip install 'cxrlabel[dask]'`") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler)  # waits distributed.comm.timeouts.connect (dask config)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UserError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); check the address, "
                                "or leave out $scheduler to start a local cluster") from None
        else:
            # - distributed's nanny sets MALLOC_TRIM_THRESHOLD_ for its workers. With it set, glibc stops raising
            #   its mmap threshold, so each of tok2vec's large arrays is mapped and unmapped anew.
            # - Each worker's profiler samples the labelling thread, taking the GIL from it.
            # (README, "Label a whole archive", has what each cost.)
            environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                       if k != "MALLOC_TRIM_THRESHOLD_"}
            check_loopback()
            try:
                with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                                      "distributed.worker.profile.enabled": False}):
                    self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                dashboard_address=None, silence_logs=logging.ERROR)
            except (OSError, RuntimeError) as exc:  # RuntimeError: "Cluster failed to start: ..." (closed by then)
                raise UserError(f"the local Dask cluster did not start ({exc}); try $engine local") from None
            self.client = Client(self.cluster)
            self.client.run(start_worker, self.hidden)
            self.client.run(ignore_sigint)
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        self.workers = threads or self.workers
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, tasks: Iterable[ChunkTask], spec: TaskSpec, progress: Progress | None = None) -> Iterator[ChunkResult]:
        client = self.client
        # pure=False: a piece's key is random instead of a hash of its (large) texts
        yield from in_pieces(lambda task: client.submit(self.work, task, spec, pure=False), tasks, spec, self.workers,
                             progress)
