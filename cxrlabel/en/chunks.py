"""The English labeller's task for the archive engines: one chunk of reports to the bytes of its parts."""
from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import Callable

from ..archive.chunk_task import ChunkResult, ChunkTask, Failure, encode_labels
from ..archive.ids import id_values
from ..archive.run_identity import files_digest
from ..errors import ReportError
from .labeler import LabelerConfig, Pipeline, ReportLabels, labels_frame, pipeline_for, unlabelled_reports
from .mentions import mention_records


NO_SECTION = "no_section"  # the count of reports with text but none in the chosen sections, kept per part
FAILED = "failed"  # the count of reports an unexpected error stopped, written with blank labels, kept per part
# How a refused --resume names a changed option of the run identity, where its own name would not say it.
OPTION_NAMES = {"mentions": "$mentions_out", "rules_digest": "the rule or lexicon files",
                "folder_output": "$output (a folder or a file)", "lexicon_dirs": "$lexicon_dir"}


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """What every chunk of a run shares; small and picklable, so it travels with each task."""

    config: LabelerConfig
    cache_limit: int
    output_format: str  # csv or parquet
    id_column: str | None
    mentions: bool
    batch_size: int
    log_text: bool


def run_options(config: LabelerConfig, **options: object) -> dict[str, object]:
    """The run identity's options: the labeller's configuration, the command's `options` that change the
    output, and a digest of every rule and lexicon file it reads, so an edit between runs is noticed."""
    return {**dataclasses.asdict(config), **options, "rules_digest": files_digest(config.data_folders())}


def label_chunk(task: ChunkTask, spec: JobSpec) -> ChunkResult:
    """Label the chunk's reports in batches with this process's Pipeline (loaded once per process).

    Given `task.known`, the Pipeline first learns those analyses, and the result gives back the ones made
    here: each worker then analyses fewer of the sentences that the others have already met."""
    labeler = pipeline_for(spec.config, spec.cache_limit)
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


def _label(task: ChunkTask, spec: JobSpec, labeler: Pipeline) -> ChunkResult:
    hits, misses = labeler.cache_hits, labeler.cache_misses
    given = id_values(task.ids) if task.ids is not None else None
    ids = given if given is not None else list(range(task.start, task.start + len(task.texts)))
    results, failed = [], []
    for begin in range(0, len(task.texts), spec.batch_size):
        try:
            results += _label_each(labeler, task.texts[begin:begin + spec.batch_size],
                                   lambda offset, exc: failed.append(_name_unlabelled(task, spec, given, begin + offset,
                                                                                      exc)))
        except ReportError as exc:
            row = begin + exc.index
            failure = Failure(source=task.source, row=task.source_row + row + 1,
                              report_id=given[row] if given else None, message=exc.message,
                              text=str(task.texts[row]) if spec.log_text else None)
            return ChunkResult(index=task.index, start=task.start, rows=len(task.texts), failure=failure)
    out = labels_frame(results, labeler.observations)
    if spec.id_column:
        out.insert(0, spec.id_column, given)
    labels = encode_labels(out, spec.output_format)
    mentions = None
    if spec.mentions:
        mentions = "".join(json.dumps(record, ensure_ascii=False, default=str) + "\n"
                           for rid, result in zip(ids, results) for record in mention_records(rid, result)).encode("utf-8")
    positives = {o: int((out[o] == 1.0).sum()) for o in labeler.observations}
    return ChunkResult(index=task.index, start=task.start, rows=len(out), columns=[str(c) for c in out.columns],
                       labels=labels, mentions=mentions, positives=positives, cache_hits=labeler.cache_hits - hits,
                       cache_misses=labeler.cache_misses - misses,
                       counts={NO_SECTION: unlabelled_reports(task.texts, results), FAILED: len(failed)})


def _label_each(labeler: Pipeline, batch: list, fail: Callable[[int, Exception], None]) -> list:
    """The batch's results. Where our code fails on a report of it (not the user's input: that is a
    ReportError, which stops the run), the reports are labelled one by one and each that fails gets a row of
    blank labels, `fail` being told its position and the error."""
    try:
        return labeler.label(batch)
    except ReportError:
        raise
    except Exception:
        pass
    results = []
    for offset in range(len(batch)):
        try:
            results += labeler.label(batch[offset:offset + 1])
        except ReportError as exc:
            raise ReportError(offset, exc.message) from None
        except Exception as exc:
            fail(offset, exc)
            text = batch[offset]  # kept in the Reports column, its labels blank
            results.append(ReportLabels(text if isinstance(text, str) else "", dict.fromkeys(labeler.observations)))
    return results


def _name_unlabelled(task: ChunkTask, spec: JobSpec, given: list | None, row: int, exc: Exception) -> int:
    """Say at once, from the process that met it, which report could not be labelled: the run goes on, and a
    --resume does not label it again. The error's own words may quote the report, so only with --log-text."""
    which = f"{task.source}: row {task.source_row + row + 1}" + (f" (id {given[row]})" if given else "")
    detail = f": {exc}" if spec.log_text else ""
    print(f"cxrlabel: warning: {which} could not be labelled ({type(exc).__name__}{detail}); its labels are "
          "left blank and the run goes on", file=sys.stderr, flush=True)
    return row
