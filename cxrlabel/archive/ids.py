"""The id column of an archive: values as the output writes them, and ids met more than once across chunks."""
from __future__ import annotations

import pandas as pd


def id_values(values: list) -> list:
    """Ids as plain values, a missing one as None: blank in the labels, null in the mentions."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]


class RepeatedIds:
    """Ids met more than once, across chunks: one set of the ids seen, and a count for each repeated one.
    Only counts leave it, never an id: ids may identify patients."""

    def __init__(self) -> None:
        self.seen: set = set()
        self.repeated: dict = {}  # repeated id -> rows holding it

    def add(self, ids: list) -> None:
        for value in id_values(ids):
            if value is None:
                continue
            key = value if isinstance(value, (str, int, float)) else repr(value)  # a JSON list or object is unhashable
            if key in self.seen:
                self.repeated[key] = self.repeated.get(key, 1) + 1
            else:
                self.seen.add(key)

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
