"""Engines run a labeller's work function (`en.chunks.label_chunk`, `zh.label_run.label_zh_chunk`) over an
archive's chunks: in this process, in a pool of local processes, or on a Dask cluster. Each gives the results back in input order, with a bounded number of
tasks in flight, so memory stays flat whatever the input size. Each chunk goes out in pieces
(`in_pieces`), so that no worker waits while another finishes a whole chunk."""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Iterator, Protocol

from .chunk_task import ChunkResult, ChunkTask, TaskSpec, merge_results, split_task

PIECES_PER_WORKER = 4  # per chunk: a worker left idle at the end waits for a quarter of its share at most
SHARED_WITH = 4  # each piece's fresh analyses travel with the next min(workers, SHARED_WITH) pieces sent out


class Future(Protocol):
    def result(self) -> ChunkResult: ...


Progress = Callable[[int], None]  # told the rows of each piece as it is done


class Engine(Protocol):
    """Opened with `with`, which starts and stops its workers; `workers` is how many it has once open."""

    workers: int

    def __enter__(self) -> "Engine": ...

    def __exit__(self, exc_type, exc, tb) -> None: ...

    def map(self, tasks: Iterable[ChunkTask], spec: TaskSpec, progress: Progress | None = None) -> Iterator[ChunkResult]: ...


class Finished:
    """A result already computed in this process, as a future."""

    def __init__(self, result: ChunkResult) -> None:
        self._result = result

    def result(self) -> ChunkResult:
        return self._result


def ordered_results(submit: Callable[[ChunkTask], Future], tasks: Iterable[ChunkTask], window: int) -> Iterator[ChunkResult]:
    """Submit tasks as earlier ones finish, at most `window` at a time, and yield results in task order."""
    pending: deque[Future] = deque()
    for task in tasks:
        pending.append(submit(task))
        del task  # not held while the next task is made (reading the next chunk, say)
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def in_pieces(submit: Callable[[ChunkTask], Future], tasks: Iterable[ChunkTask], spec: TaskSpec,
              workers: int, progress: Progress | None = None, in_flight: int | None = None) -> Iterator[ChunkResult]:
    """Each chunk split into pieces (of at least one batch) for `workers` workers, and its result put back
    together, in chunk order. `progress` hears of each piece, so a progress bar moves between parts.

    `in_flight` pieces at a time, by default twice the workers, so none waits for the next. Labelling in
    this process (`submit` returns a finished result) gives 1: there is no one to keep busy, and a chunk is
    then written and let go before the next is read, so memory holds one chunk, as for a small input.

    Each worker keeps its own sentence memory and sees a share of the archive, so on its own it would
    analyse again what the others have met. So the analyses a piece made go out with the next pieces, to
    whichever worker takes them (with min(workers, SHARED_WITH) pieces, which bounds the cost with many
    workers); README, "Label a whole archive", has what this saves."""
    counts: deque[int] = deque()
    recent: deque[dict] = deque(maxlen=min(workers, SHARED_WITH))
    share = bool(spec.cache_limit) and workers > 1

    def pieces() -> Iterator[ChunkTask]:
        for task in tasks:
            split = split_task(task, PIECES_PER_WORKER * workers, spec.batch_size)
            del task  # the pieces hold what is left to label; a labelled piece is let go at once
            counts.append(len(split))
            split.reverse()
            while split:
                piece = split.pop()
                piece.known = list(recent) if share else None
                yield piece
                del piece

    def passed_on(results: Iterator[ChunkResult]) -> Iterator[ChunkResult]:
        for result in results:
            if result.learned:
                recent.append(result.learned)
            result.learned = None
            if progress is not None:
                progress(result.rows)
            yield result

    results = passed_on(ordered_results(submit, pieces(), in_flight or 2 * workers))
    for first in results:
        yield merge_results([first] + [next(results) for _ in range(counts.popleft() - 1)], spec.output_format)
