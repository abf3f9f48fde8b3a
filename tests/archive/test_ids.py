"""RepeatedIds: counts the ids met more than once across chunks exactly as a set of the ids would, while keeping
16 bytes per id seen rather than the ids themselves (what keeps an archive run's memory flat)."""
from __future__ import annotations

import random

from cxrlabel.archive.ids import RepeatedIds


def counted_with_a_set(chunks: list[list]) -> dict:
    """The plain way: every id kept, a count for each repeated one."""
    seen, repeated = set(), {}
    for chunk in chunks:
        for value in chunk:
            if value is None:
                continue
            if value in seen:
                repeated[value] = repeated.get(value, 1) + 1
            else:
                seen.add(value)
    return repeated


def test_counts_match_a_set_across_chunks():
    rng = random.Random(3)
    chunks = [[rng.choice([f"r{rng.randint(0, 400)}", rng.randint(0, 400), None]) for _ in range(97)] for _ in range(7)]
    expected = counted_with_a_set(chunks)
    repeated = RepeatedIds()
    for chunk in chunks:
        repeated.add(chunk)
    assert expected and (repeated.ids, repeated.rows) == (len(expected), sum(expected.values()))


def test_equal_ids_of_other_types_are_one_id_and_different_ones_are_not():
    repeated = RepeatedIds()
    repeated.add([1, "1", 2.0, [1, 2], float("nan"), None])
    repeated.add([1.0, "x", 2, [1, 2], "1"])
    assert (repeated.ids, repeated.rows) == (4, 8)  # 1 and 1.0, "1", 2.0 and 2, [1, 2]; NaN and None are no id


def test_keeps_sixteen_bytes_per_distinct_id():
    repeated = RepeatedIds()
    for start in range(0, 50_000, 10_000):
        repeated.add([f"report-{i:08d}-with-a-long-identifier" for i in range(start, start + 10_000)] + ["dup"])
    assert (repeated.ids, repeated.rows) == (1, 5)
    assert len(repeated.seen) == 50_001 and repeated.seen.nbytes == 16 * 50_001
