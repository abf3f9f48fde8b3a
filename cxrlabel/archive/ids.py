"""The id column of an archive: values as the output writes them, and ids met more than once across chunks."""
from __future__ import annotations

from hashlib import blake2b

import numpy as np
import pandas as pd

DIGEST = "S16"  # an id's digest, fixed-width bytes that numpy sorts and searches


def id_values(values: list) -> list:
    """Ids as plain values, a missing one as None: blank in the labels, null in the mentions."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]


def id_digest(value: object) -> bytes:
    """16 bytes that stand for an id: equal ids (1 and 1.0 too, as a set holds them) give equal digests, and
    two different ids the same one as rarely as a 128-bit key is guessed."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        data = b"n" + repr(int(value) if isinstance(value, bool) else value).encode()
    elif isinstance(value, str):
        data = b"s" + value.encode("utf-8", "surrogatepass")
    else:  # a JSON list or object
        data = b"r" + repr(value).encode("utf-8", "surrogatepass")
    return blake2b(data, digest_size=16).digest()


class RepeatedIds:
    """Ids met more than once, across chunks. Only counts leave it, never an id: ids may identify patients.

    An archive's ids are nearly all distinct, so the ids seen are kept as one sorted array of 16-byte digests
    (16 bytes an id, where a set of the ids took about 100) and a count only for each repeated one: memory
    grows by little over an archive of millions."""

    def __init__(self) -> None:
        self.seen = np.empty(0, dtype=DIGEST)  # sorted, distinct
        self.repeated: dict[bytes, int] = {}  # repeated id's digest -> rows holding it

    def add(self, ids: list) -> None:
        digests = np.array([id_digest(v) for v in id_values(ids) if v is not None], dtype=DIGEST)
        distinct, counts = np.unique(digests, return_counts=True)
        place = np.searchsorted(self.seen, distinct)
        met = place < len(self.seen)
        met[met] = self.seen[place[met]] == distinct[met]
        for digest, count, before in zip(distinct[met | (counts > 1)].tolist(), counts[met | (counts > 1)].tolist(),
                                         met[met | (counts > 1)].tolist()):
            self.repeated[digest] = self.repeated.get(digest, 1 if before else 0) + count
        self.seen = np.union1d(self.seen, distinct[~met])

    @property
    def ids(self) -> int:
        """How many ids appear more than once."""
        return len(self.repeated)

    @property
    def rows(self) -> int:
        """How many rows hold a repeated id."""
        return sum(self.repeated.values())

    def warning(self, column: str) -> str | None:
        """What every command that reads an id column says of repeated ids: counts only, never an id."""
        if not self.ids:
            return None
        return (f"cxrlabel: warning: {self.ids} {'id' if self.ids == 1 else 'ids'} in column {column!r} "
                f"{'appears' if self.ids == 1 else 'appear'} more than once ({self.rows} rows); every row is kept, in "
                "input order, and `cxrlabel evaluate` refuses duplicate ids, so make them unique before scoring")
