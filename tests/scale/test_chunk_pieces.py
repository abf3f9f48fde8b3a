"""Pools share a chunk out in pieces and put the results back together: the part is the one the whole
chunk would give, byte for byte, and a failing report is still named by its row."""
import gc
import io
import weakref
from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxrlabel.archive.engine import Finished, in_pieces
from cxrlabel.archive.local_engine import LocalEngine
from cxrlabel.archive.chunk_task import ChunkTask, merge_results, split_task
from cxrlabel.en.chunks import JobSpec, label_chunk
from cxrlabel.en.labeler import LabelerConfig, sentence_key
from tests.conftest import spacy_model_available
from tests.scale.conftest import reports_frame

NONE = ("--parser", "none")


def spec(output_format: str = "csv", batch_size: int = 4) -> JobSpec:
    return JobSpec(config=LabelerConfig(parser="none"), cache_limit=1000, output_format=output_format,
                   id_column="study", mentions=True, batch_size=batch_size, log_text=False)


def chunk(n: int = 23, index: int = 3, start: int = 100) -> ChunkTask:
    frame = reports_frame(n)
    return ChunkTask(index=index, start=start, source="r.csv", source_row=start + 7, texts=frame.report.tolist(),
                     ids=frame.study.tolist())


def test_pieces_cover_the_chunk_in_order_and_keep_their_place():
    task = chunk()
    pieces = split_task(task, pieces=4, least=5)
    assert [len(p.texts) for p in pieces] == [6, 6, 6, 5]
    assert [p.start for p in pieces] == [100, 106, 112, 118] and [p.source_row for p in pieces] == [107, 113, 119, 125]
    assert sum((p.texts for p in pieces), []) == task.texts and sum((p.ids for p in pieces), []) == task.ids
    assert {p.index for p in pieces} == {3}
    assert [len(p.texts) for p in split_task(task, pieces=8, least=10)] == [10, 10, 3]  # never under a batch
    assert split_task(task, pieces=4, least=256) == [task]  # small chunks stay whole
    empty = chunk(0)
    assert split_task(empty, pieces=4, least=1) == [empty]


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_merged_pieces_equal_the_whole_chunk(output_format):
    task, job = chunk(), spec(output_format)
    whole = label_chunk(task, job)
    merged = merge_results([label_chunk(p, job) for p in split_task(task, 4, 5)], output_format)
    assert (merged.index, merged.start, merged.rows, merged.columns) == (whole.index, whole.start, whole.rows, whole.columns)
    assert merged.mentions == whole.mentions and merged.positives == whole.positives and merged.failure is None
    assert merged.cache_hits + merged.cache_misses == whole.cache_hits + whole.cache_misses
    if output_format == "csv":
        assert merged.labels == whole.labels
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(merged.labels)), pd.read_parquet(io.BytesIO(whole.labels)))


def test_a_failing_report_in_a_later_piece_is_named_by_its_row(breaks_on_marker):
    task = chunk()
    task.texts[15] = "UNREADABLE patient Jane Doe"
    merged = merge_results([label_chunk(p, spec()) for p in split_task(task, 4, 5)], "csv")
    assert merged.failure is not None and merged.failure.row == 107 + 15 + 1 and merged.failure.report_id == "s000015"
    assert merged.failure.text is None and (merged.start, merged.rows) == (100, 23)


def test_in_pieces_gives_one_result_per_chunk_in_order():
    tasks = [chunk(23, 0, 0), chunk(2, 1, 23), chunk(17, 2, 25)]
    submitted = []

    def submit(task):
        submitted.append(len(task.texts))
        return Finished(label_chunk(task, spec()))

    done = []
    results = list(in_pieces(submit, tasks, spec(batch_size=3), workers=2, progress=done.append))
    assert [(r.index, r.start, r.rows) for r in results] == [(0, 0, 23), (1, 23, 2), (2, 25, 17)]
    assert submitted == [3, 3, 3, 3, 3, 3, 3, 2, 2, 3, 3, 3, 3, 3, 2] == done  # the bar moves with each piece
    assert [r.labels for r in results] == [label_chunk(t, spec()).labels for t in tasks]


def test_labelling_in_this_process_writes_a_chunk_and_lets_it_go_before_reading_the_next():
    """Memory then holds one chunk at a time, as for an input of one chunk (issue 26, peak memory)."""
    given, written = [], []

    def tasks():
        for index, (n, start) in enumerate([(23, 0), (9, 23), (17, 32)]):
            gc.collect()
            assert written == list(range(index))  # every earlier chunk is written...
            assert all(ref() is None for ref in given)  # ...and neither it nor its pieces are held any more
            task = chunk(n, index, start)
            given.append(weakref.ref(task))
            yield task
            del task  # as the archive's own reader does

    def work(task, job):
        given.append(weakref.ref(task))  # a piece
        return label_chunk(task, job)

    with LocalEngine(1, work) as engine:
        for result in engine.map(tasks(), spec(batch_size=3)):
            written.append(result.index)
    assert written == [0, 1, 2] and len(given) > 3


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_two_workers_sharing_chunks_in_pieces_give_the_output_of_one(reports_csv, tmp_path, extract, output_format):
    parser = ("--parser", "spacy") if spacy_model_available() else NONE
    source = reports_csv(260)
    outputs = []
    for workers in (1, 2):
        out, mentions = tmp_path / f"w{workers}.{output_format}", tmp_path / f"w{workers}.jsonl"
        code, err = extract(source, "--id-column", "study", "-o", out, "--mentions-out", mentions, "--workers", workers,
                            "--chunk-size", 120, "--batch-size", 10, "-q", *parser)  # 120 rows: 8 pieces of 15
        assert code == 0, err
        labels = out.read_bytes() if output_format == "csv" else pd.read_parquet(out)
        outputs.append((labels, mentions.read_bytes()))
    if output_format == "csv":
        assert outputs[0] == outputs[1]
    else:
        pd.testing.assert_frame_equal(outputs[0][0], outputs[1][0])
        assert outputs[0][1] == outputs[1][1]


def test_a_piece_given_known_analyses_reuses_them_and_returns_what_it_made():
    job = JobSpec(config=LabelerConfig(parser="none", sections="all"), cache_limit=999,  # its own labeller
                  output_format="csv", id_column="study", mentions=False, batch_size=4, log_text=False)
    first = ChunkTask(index=0, start=0, source="r.csv", source_row=0, texts=["No pneumothorax. Small effusion."], ids=["a"],
                      known=[])
    made = label_chunk(first, job)
    assert set(made.learned) == {sentence_key("No pneumothorax."), sentence_key("Small effusion.")}
    fresh = JobSpec(config=LabelerConfig(parser="none", sections="all"), cache_limit=998, output_format="csv",
                    id_column="study", mentions=False, batch_size=4, log_text=False)
    second = ChunkTask(index=1, start=1, source="r.csv", source_row=1, texts=["Small effusion. Mild edema."], ids=["b"],
                       known=[made.learned])
    result = label_chunk(second, fresh)
    assert (result.cache_hits, result.cache_misses) == (1, 1) and set(result.learned) == {sentence_key("Mild edema.")}
    assert result.labels == label_chunk(replace(second, known=None), job).labels
    assert label_chunk(ChunkTask(index=2, start=2, source="r.csv", source_row=2, texts=["Edema."], ids=["c"]), job).learned is None  # not sharing


def test_in_pieces_sends_each_pieces_analyses_with_the_next_pieces():
    sent, job = [], spec(batch_size=2)

    def submit(task):
        sent.append(task.known)
        result = label_chunk(task, job)
        assert result.learned is not None
        return Finished(result)

    results = list(in_pieces(submit, [chunk(40, 0, 0)], job, workers=2))  # 8 pieces of 5, 4 in flight
    assert len(sent) == 8 and all(known == [] for known in sent[:4])  # nothing had come back yet
    assert all(1 <= len(known) <= 2 for known in sent[4:])  # the last 2 pieces' analyses (min(workers, 4))
    assert all(r.learned is None for r in results)  # not kept once passed on
    no_cache = JobSpec(config=job.config, cache_limit=0, output_format="csv", id_column="study", mentions=True,
                       batch_size=2, log_text=False)
    for job, workers in ((no_cache, 2), (spec(batch_size=2), 1)):  # nothing to share without a cache or a peer
        sent.clear()
        list(in_pieces(lambda task: sent.append(task.known) or Finished(label_chunk(task, job)), [chunk(8, 0, 0)], job, workers))
        assert len(sent) == 4 and all(known is None for known in sent)


def test_a_parquet_piece_of_blank_ids_takes_the_type_of_the_others():
    task = chunk(12)
    task.ids[:6] = [None] * 6  # the first piece's id column has no values, so no type of its own
    pieces = split_task(task, 2, 1)
    merged = merge_results([label_chunk(p, spec("parquet")) for p in pieces], "parquet")
    frame = pd.read_parquet(io.BytesIO(merged.labels))
    assert len(frame) == 12 and frame["study"][:6].isna().all() and frame["study"][6:].tolist() == task.ids[6:]
    kind = pq.read_schema(io.BytesIO(merged.labels)).field("study").type
    assert pa.types.is_string(kind) or pa.types.is_large_string(kind)  # not null, the type of a blank piece
