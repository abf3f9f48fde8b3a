"""The sentence memory (`PackedMemo`) keeps what a plain two-generation `Memo` keeps, with its keys packed
into sorted arrays of 16 bytes each: what keeps a long run's memory from growing (issue 26, peak memory)."""
from __future__ import annotations

import random

from cxrlabel.memo import Memo, PackedMemo


def key(n: int) -> bytes:
    """16-byte keys, some ending in NUL bytes (which numpy strips from fixed-width bytes)."""
    return n.to_bytes(8, "big") + (b"\0" * 8 if n % 3 == 0 else b"\1" * 8)


class SmallBatches(PackedMemo):
    LATEST = 50  # packs often


def test_packed_memo_keeps_and_forgets_what_a_memo_does():
    rng = random.Random(5)
    plain, packed = Memo(600), SmallBatches(600, 16)
    for _ in range(60):
        keys = [key(rng.randint(0, 900)) for _ in range(rng.randint(1, 80))]
        work = lambda todo: {k: ("value", k) for k in todo}  # noqa: E731
        assert plain.through(work, keys) == packed.through(work, keys)
        k = key(rng.randint(0, 900))
        assert plain.recall(k, lambda k: ("value", k)) == packed.recall(k, lambda k: ("value", k))
        assert len(plain) == len(packed) <= 600 + 80
        assert all(plain.get(key(n)) == packed.get(key(n)) for n in range(0, 901, 7))


def test_packed_memo_holds_sixteen_bytes_a_key_outside_its_latest_entries():
    memory = PackedMemo(200_000, 16)
    for start in range(0, 50_000, 1_000):
        memory.keep({key(n): () for n in range(start, start + 1_000)})
    recent = memory.recent
    assert len(memory) == 50_000 and len(recent.latest) < PackedMemo.LATEST
    assert recent.keys.itemsize == 16 and len(recent.keys) == 50_000 - len(recent.latest)
    assert memory.get(key(0)) == () and memory.get(key(49_999)) == () and memory.get(key(50_000)) is None
