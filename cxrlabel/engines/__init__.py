"""Engines run `chunk_task.label_chunk` over an archive's chunks: in this process, in a pool of local
processes, or on a Dask cluster. Each gives the results back in input order, with a bounded number of
chunks in flight, so memory stays flat whatever the input size."""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Iterator, Protocol

from .chunk_task import ChunkResult, ChunkTask, JobSpec


class Future(Protocol):
    def result(self) -> ChunkResult: ...


class Engine(Protocol):
    workers: int

    def map(self, tasks: Iterable[ChunkTask], spec: JobSpec) -> Iterator[ChunkResult]: ...


def ordered_results(submit: Callable[[ChunkTask], Future], tasks: Iterable[ChunkTask], window: int) -> Iterator[ChunkResult]:
    """Submit tasks as earlier ones finish, at most `window` at a time, and yield results in task order."""
    pending: deque[Future] = deque()
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
