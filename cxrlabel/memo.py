"""The one bounded memory behind every cache of the labellers: analysed sentences, word lemmas, token
attributes.

Report text repeats heavily, so each distinct item is worked out once and reused; an archive holds more
distinct items than memory should, so the number kept is bounded. Emptying a full memory at once loses
the items that repeat most along with the rest; here memory is kept in two generations: when the recent
one is full it becomes the older one, and an item met again there is carried into the new generation.
(README, "Label a whole archive", has what this reuses against emptying a full memory.)

A memory keyed by digests of one width (the sentence memory) keeps both generations packed
(`PackedMemo`): sorted arrays of the keys, 16 bytes each, where a dict of bytes objects takes about 100, with
only the latest few thousand entries in a dict; a full memory is then a fraction of the size, and a long
run's memory grows by little.
"""
from __future__ import annotations

from typing import Callable, Generic, Hashable, Iterable, Mapping, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        """At most `limit` entries, or one batch's entries where `keep` is given more; 0 keeps nothing."""
        self.limit = limit
        self.recent = self._generation()
        self.older = self._generation()

    def __len__(self) -> int:
        return len(self.recent) + len(self.older)

    def get(self, key: K) -> V | None:
        value = self.recent.get(key)
        return self.older.get(key) if value is None else value

    def keep(self, entries: Mapping[K, V]) -> None:
        """Remember a batch of `entries`: new ones and those met again (carried out of the older generation)."""
        if not self.limit:
            return
        new = self._absent(entries)
        if len(self.recent) + len(new) > max(self.limit // 2, 1):
            self.older, self.recent = self._retired(self.recent), self._generation()
            new = dict(entries)
        self.recent.update(new)
        if len(self) > self.limit:
            self.older = self._generation()

    def lookup(self, keys: list[K]) -> list[V | None]:
        """The value kept for each key, None where there is none: each generation asked once for the lot."""
        found = self._values(self.recent, keys)
        elsewhere = [i for i, value in enumerate(found) if value is None]  # not in the recent generation
        for i, value in zip(elsewhere, self._values(self.older, [keys[i] for i in elsewhere])):
            found[i] = value
        return found

    def through(self, work_out: Callable[[list[K]], Mapping[K, V]], keys: Iterable[K]) -> tuple[dict[K, V], dict[K, V]]:
        """Values for the distinct `keys`: those kept, and `work_out` of the rest in one call (a batch is
        cheaper to work out than its items one by one); all are kept. Returns (every value, the fresh ones)."""
        keys = list(keys)
        known: dict[K, V] = {}
        todo: list[K] = []
        for key, value in zip(keys, self.lookup(keys)):
            if value is None:
                todo.append(key)
            else:
                known[key] = value
        fresh = dict(work_out(todo)) if todo else {}
        values = known | fresh
        self.keep(values)
        return values, fresh

    def recall(self, key: K, work_out: Callable[[K], V]) -> V:
        """The value kept for `key`, else `work_out(key)`, kept: one entry at a time, the same two generations."""
        value = self.recent.get(key)
        if value is not None:
            return value
        value = self.older.get(key)
        if value is None:
            value = work_out(key)
        if self.limit:
            if len(self.recent) >= max(self.limit // 2, 1):
                self.older, self.recent = self._retired(self.recent), self._generation()
            self.recent[key] = value
        return value

    def clear(self) -> None:
        self.recent, self.older = self._generation(), self._generation()

    # How a generation is held: a dict here; PackedMemo packs its keys.
    def _generation(self):
        return {}

    def _retired(self, generation):
        """A full recent generation as the older one keeps it."""
        return generation

    def _absent(self, entries: Mapping[K, V]) -> dict[K, V]:
        """Those of `entries` not in the recent generation."""
        return {k: v for k, v in entries.items() if k not in self.recent}

    def _values(self, generation, keys: list[K]) -> list[V | None]:
        get = generation.get
        return [get(key) for key in keys]


class Packed(Generic[V]):
    """A generation whose keys are bytes of one width: the latest entries in a dict, the others in a sorted
    array of the keys with a list of their values, into which the dict is merged whenever it holds `batch`."""

    def __init__(self, width: int, batch: int) -> None:
        self.dtype, self.batch = f"S{width}", batch
        self.latest: dict[bytes, V] = {}
        self.keys = np.empty(0, dtype=self.dtype)
        self.values: list[V] = []

    def __len__(self) -> int:
        return len(self.latest) + len(self.values)

    def get(self, key: bytes) -> V | None:
        value = self.latest.get(key)
        return self.lookup([key])[0] if value is None else value

    def __setitem__(self, key: bytes, value: V) -> None:
        self.update({key: value})

    def update(self, entries: Mapping[bytes, V]) -> None:
        """Add entries whose keys it does not hold."""
        self.latest.update(entries)
        if len(self.latest) >= self.batch:
            self.pack()

    def pack(self) -> "Packed[V]":
        """Merge the dict into the arrays."""
        if self.latest:
            keys = np.concatenate([self.keys, np.array(list(self.latest), dtype=self.dtype)])
            values = self.values + list(self.latest.values())
            order = np.argsort(keys, kind="stable")
            self.keys, self.values, self.latest = keys[order], [values[i] for i in order.tolist()], {}
        return self

    def lookup(self, keys: list[bytes]) -> list[V | None]:
        """The value of each key, None where it has none: one search of the arrays for the lot."""
        latest = self.latest
        found = [latest.get(key) for key in keys]
        rest = [i for i, value in enumerate(found) if value is None]
        if not rest or not self.values:
            return found
        wanted = np.array([keys[i] for i in rest], dtype=self.dtype)  # compared as arrays: NUL bytes alike
        place = np.minimum(np.searchsorted(self.keys, wanted), len(self.values) - 1)
        values = self.values
        for i, at, hit in zip(rest, place.tolist(), (self.keys[place] == wanted).tolist()):
            if hit:
                found[i] = values[at]
        return found


class PackedMemo(Memo[bytes, V]):
    """A Memo whose keys are bytes of one `width` (digests), each generation `Packed`."""

    LATEST = 8192  # entries of a generation held in a dict before they are packed

    def __init__(self, limit: int, width: int) -> None:
        self.width = width
        super().__init__(limit)

    def _generation(self) -> Packed[V]:
        return Packed(self.width, self.LATEST)

    def _retired(self, generation: Packed[V]) -> Packed[V]:
        return generation.pack()

    def _absent(self, entries: Mapping[bytes, V]) -> dict[bytes, V]:
        keys = list(entries)
        return {k: entries[k] for k, v in zip(keys, self.recent.lookup(keys)) if v is None}

    def _values(self, generation: Packed[V], keys: list[bytes]) -> list[V | None]:
        return generation.lookup(keys)
