"""One archive run, for every labeller: the chunks of a table not yet in the part store go to an engine, in
order, and each result becomes a part. What the labeller does with a chunk is its `work` function."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterator

from tqdm import tqdm

from ..errors import UserError
from ..tables import ChunkedTable, report_texts
from .chunk_task import ChunkResult, ChunkTask, Failure, TaskSpec
from .dask_engine import DaskEngine
from .engine import Engine
from .ids import RepeatedIds
from .local_engine import LocalEngine
from .parts import PartStore
from .scale import Scale, default_workers


class ChunkFailed(UserError):
    """A report no labeller could label; the run's parts are discarded, since the input must change."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass
class RunTally:
    """What a run reports besides its parts: counts only, never report text or ids."""

    workers: int
    cache_hits: int = 0
    cache_misses: int = 0
    repeated: RepeatedIds = field(default_factory=RepeatedIds)


def worker_count(scale: Scale, rows_left: int | None, batch_size: int) -> int:
    """Each local worker gets a batch at least, else it is not started: a pool costs seconds to start."""
    workers = scale.workers or default_workers()
    if scale.engine == "local" and rows_left is not None:
        workers = max(1, min(workers, math.ceil(rows_left / batch_size)))
    return workers


def chunk_tasks(table: ChunkedTable, text_column: str, id_column: str | None, store: PartStore,
                repeated: RepeatedIds) -> Iterator[ChunkTask]:
    """The table's chunks not yet in `store`, as tasks; every chunk's ids are counted, done or not. A table
    that cannot be read discards the parts: the input must change, so none of them could be resumed."""
    chunks = rows = 0
    try:
        for chunk in table.chunks([text_column] + ([id_column] if id_column else [])):
            index, start, size = chunks, rows, len(chunk.frame)
            chunks, rows = index + 1, start + size
            ids = chunk.frame[id_column].tolist() if id_column else None
            if ids is not None:
                repeated.add(ids)
            texts = report_texts(chunk.frame[text_column].tolist(), text_column, chunk.source, chunk.first_row,
                                 table.encoding, whole_column=index == 0)
            task = ChunkTask(index=index, start=start, source=str(chunk.source), source_row=chunk.first_row,
                             texts=texts, ids=ids)
            del chunk, texts, ids  # neither this chunk's frame nor its lists are held while the next is read
            if not store.is_done(index, start, size):
                yield task
            del task
    except UserError:
        store.discard()
        raise
    if not chunks and not store.is_done(0, 0, 0):  # no rows: one empty part still gives the header
        yield ChunkTask(index=0, start=0, source=str(table.path), source_row=0, texts=[],
                        ids=[] if id_column else None)


def label_archive(table: ChunkedTable, text_column: str, id_column: str | None, store: PartStore, spec: TaskSpec,
                  work: Callable[[ChunkTask, TaskSpec], ChunkResult], scale: Scale, hidden: tuple[str, ...] = (),
                  quiet: bool = False, configure: Callable[[TaskSpec, int, str], TaskSpec] | None = None) -> RunTally:
    """Label every chunk not yet in `store` (begun with the run's identity) and add each as a part.

    `hidden`: packages the workers need not import; `configure(spec, workers, engine)`: the spec as it
    should be for that many workers (zh label gives one process all cores, each worker one)."""
    total = table.count_rows()
    workers = worker_count(scale, None if total is None else total - store.rows_done, spec.batch_size)
    if configure is not None:
        spec = configure(spec, workers, scale.engine)
    tally = RunTally(workers)
    engine: Engine = (DaskEngine(workers, work, scale.scheduler, hidden) if scale.engine == "dask"
              else LocalEngine(workers, work, hidden))
    tasks = chunk_tasks(table, text_column, id_column, store, tally.repeated)
    with engine, tqdm(total=total, initial=store.rows_done, unit="report", disable=quiet or None,
                      file=sys.stderr) as bar:
        for result in engine.map(tasks, spec, bar.update):
            if result.failure:  # the input must change, so these parts could not be resumed
                store.discard()
                raise ChunkFailed(result.failure)
            store.add(result)
            tally.cache_hits += result.cache_hits
            tally.cache_misses += result.cache_misses
    tally.workers = engine.workers
    return tally
