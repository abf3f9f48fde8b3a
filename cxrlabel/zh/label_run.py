"""`cxrlabel zh label` at archive scale, on the engine `cxrlabel extract` uses (`archive.run`).

Each chunk is labelled by `label_zh_chunk` (a pure function of its reports, built on
`label.label_reports`) in this process, in worker processes or on a Dask cluster, and each finished chunk
is kept as a part, so memory stays flat and a stopped run continues with --resume. The run identity holds digests of the label map, model.json, the clause
overrides and the zh rule files, so a resumed run never mixes labels from two reviews.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..archive.chunk_task import ChunkResult, ChunkTask, encode_labels
from ..archive.ids import id_values
from ..archive.run_identity import files_digest
from ..memo import Memo
from ..tables import PARQUET_SUFFIXES
from .data_files import lexicons_folder, load_zh_data, rules_folder
from .label import LabelMap, ReviewedClusters, label_reports
from .model_file import SavedModel
from .preprocess import ClausePreprocessor
from .settings import ALL_CORES

COUNTS = ("clauses", "unassigned", "dropped", "overridden")
# How a refused --resume names a changed option of the run identity, where its own name would not say it.
OPTION_NAMES = {"label_map_sha256": "the contents of $label_map", "model_sha256": "the contents of model.json",
                "clause_overrides_sha256": "the clause overrides file (its contents, or whether there is one)",
                "zh_rules_sha256": "the rules/zh or lexicons/zh files the model names"}


def override_count(position: int) -> str:
    """The name of the count of clause parts the override at `position` labelled (its position, not its
    clause: the parts' manifest holds no report text)."""
    return f"override {position}"


@dataclass(frozen=True, kw_only=True)
class ZhJobSpec:
    """What every chunk of a zh label run shares; picklable, it travels with each task. `cache_limit`,
    `batch_size` and `output_format` are what the engines read of a spec."""

    model: SavedModel
    mapping: LabelMap
    overrides: dict[str, str | None]
    max_distance: float
    distance_threads: int = ALL_CORES  # rapidfuzz threads per process: all cores in one process, one per worker
    key: str  # digest of the model, map and overrides: a process keeps the clusters built for it
    id_column: str
    text_column: str
    row_ids: bool  # ids are row numbers, counted from the chunk's start
    output_format: str
    batch_size: int
    cache_limit: int = 0  # no sentence memory to share between workers


_CLUSTERS: Memo[tuple[str, int], ReviewedClusters] = Memo(1)  # the run's, and at most the one before


def reviewed_clusters(model: SavedModel, mapping: LabelMap, overrides: dict[str, str | None],
                      max_distance: float, distance_threads: int = ALL_CORES) -> ReviewedClusters:
    """The clusters of a reviewed map: the clauses read as the model was mined (its word lists, sections and
    laterality), labelled through the map and overrides; zh label's and the review page's."""
    pre = ClausePreprocessor(load_zh_data(model.rules_dir, model.lexicon_dir), drop_laterality=model.drop_laterality,
                             sections=model.sections)
    return ReviewedClusters.build(pre, model, mapping, max_distance, distance_threads, overrides)


def clusters_for_spec(spec: ZhJobSpec) -> ReviewedClusters:
    """The clusters for `spec`, built once per process (jieba and the word lists load once)."""
    def build(_: tuple[str, int]) -> ReviewedClusters:
        return reviewed_clusters(spec.model, spec.mapping, spec.overrides, spec.max_distance, spec.distance_threads)

    return _CLUSTERS.recall((spec.key, spec.distance_threads), build)


def label_zh_chunk(task: ChunkTask, spec: ZhJobSpec) -> ChunkResult:
    """One chunk's label rows (id, text, labels, n_labels, single_label, unassigned) as part-file bytes."""
    clusters = clusters_for_spec(spec)
    texts = ["" if v is None else str(v) for v in id_values(task.texts)]
    frames, counts = [], dict.fromkeys(COUNTS, 0)
    for begin in range(0, max(len(texts), 1), spec.batch_size):
        batch = label_reports(texts[begin:begin + spec.batch_size], clusters)
        frames.append(batch.frame.astype({label: "float64" for label in clusters.labels}))
        for name, n in zip(COUNTS, (batch.n_clauses, batch.n_unassigned, batch.n_dropped, batch.n_overridden)):
            counts[name] += n
        for position, clause in enumerate(spec.overrides):
            counts[override_count(position)] = counts.get(override_count(position), 0) + batch.override_hits.get(clause, 0)
    frame = pd.concat(frames, ignore_index=True)
    ids = ([str(v) for v in task.ids] if not spec.row_ids else [str(task.start + i + 1) for i in range(len(texts))])
    frame.insert(0, spec.text_column, texts)
    frame.insert(0, spec.id_column, ids)
    data = encode_labels(frame, spec.output_format)
    positives = {label: int((frame[label] == 1.0).sum()) for label in clusters.labels}
    return ChunkResult(index=task.index, start=task.start, rows=len(frame), columns=[str(c) for c in frame.columns],
                       labels=data, positives=positives, counts=counts)


def run_options(spec: ZhJobSpec, chunk_size: int, encoding: str | None, no_header: bool, label_map: Path,
                model_path: Path, overrides_path: Path) -> dict[str, object]:
    """What --resume checks besides the input: the options that change the output, and the reviewed files."""
    model = spec.model
    return {"command": "zh label", "column": spec.text_column, "id_column": spec.id_column, "encoding": encoding,
            "no_header": no_header, "chunk_size": chunk_size, "output_format": spec.output_format,
            "max_distance": spec.max_distance,
            "label_map_sha256": files_digest([label_map]), "model_sha256": files_digest([model_path]),
            "clause_overrides_sha256": files_digest([overrides_path]),
            "zh_rules_sha256": files_digest([rules_folder(model.rules_dir), lexicons_folder(model.lexicon_dir)])}


def output_format(output: Path) -> str:
    return "parquet" if output.suffix.lower() in PARQUET_SUFFIXES else "csv"


def configured(spec: ZhJobSpec, workers: int, engine: str) -> ZhJobSpec:
    """One process computes distances on every core; each of several workers on one."""
    return replace(spec, distance_threads=ALL_CORES if workers == 1 and engine == "local" else 1)
