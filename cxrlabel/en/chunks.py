"""The English labeller's task for the archive engines: one chunk of reports to the bytes of its parts."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..archive.chunk_task import ChunkResult, ChunkTask, Failure, encode_labels
from ..archive.ids import id_values
from ..errors import ReportError
from .labeler import Labeler, LabelerConfig, labeler_for, labels_frame, unlabelled_reports
from .mentions import mention_records


NO_SECTION = "no_section"  # the count of reports with text but none in the chosen sections, kept per part


@dataclass(frozen=True)
class JobSpec:
    """What every chunk of a run shares; small and picklable, so it travels with each task."""

    config: LabelerConfig
    cache_limit: int
    output_format: str  # csv or parquet
    id_column: str | None
    mentions: bool
    batch_size: int
    log_text: bool


def label_chunk(task: ChunkTask, spec: JobSpec) -> ChunkResult:
    """Label the chunk's reports in batches with this process's Labeler (loaded once per process).

    Given `task.known`, the Labeler first learns those analyses, and the result gives back the ones made
    here: each worker then analyses fewer of the sentences that the others have already met."""
    labeler = labeler_for(spec.config, spec.cache_limit)
    if task.known is None or not spec.cache_limit:
        return _label(task, spec, labeler)
    for analyses in task.known:
        labeler.learn(analyses)
    labeler.journal = {}
    try:
        result = _label(task, spec, labeler)
        result.learned = labeler.journal
    finally:
        labeler.journal = None
    return result


def _label(task: ChunkTask, spec: JobSpec, labeler: Labeler) -> ChunkResult:
    hits, misses = labeler.cache_hits, labeler.cache_misses
    given = id_values(task.ids) if task.ids is not None else None
    ids = given if given is not None else list(range(task.start, task.start + len(task.texts)))
    results = []
    for begin in range(0, len(task.texts), spec.batch_size):
        try:
            results += labeler.label(task.texts[begin:begin + spec.batch_size])
        except ReportError as exc:
            row = begin + exc.index
            failure = Failure(task.source, task.source_row + row + 1, given[row] if given else None,
                              exc.message, str(task.texts[row]) if spec.log_text else None)
            return ChunkResult(task.index, task.start, len(task.texts), [], b"", None, {}, 0, 0, failure)
    out = labels_frame(results, labeler.observations)
    if spec.id_column:
        out.insert(0, spec.id_column, given)
    labels = encode_labels(out, spec.output_format)
    mentions = None
    if spec.mentions:
        mentions = "".join(json.dumps(record, ensure_ascii=False, default=str) + "\n"
                           for rid, result in zip(ids, results) for record in mention_records(rid, result)).encode("utf-8")
    positives = {o: int((out[o] == 1.0).sum()) for o in labeler.observations}
    return ChunkResult(task.index, task.start, len(out), [str(c) for c in out.columns], labels, mentions, positives,
                       labeler.cache_hits - hits, labeler.cache_misses - misses,
                       counts={NO_SECTION: unlabelled_reports(task.texts, results)})
