"""The one bounded memory behind every cache of the labellers: analysed sentences, word lemmas, token
attributes.

Report text repeats heavily, so each distinct item is worked out once and reused; an archive holds more
distinct items than memory should, so the number kept is bounded. Emptying a full memory at once loses
the items that repeat most along with the rest; here memory is kept in two generations: when the recent
one is full it becomes the older one, and an item met again there is carried into the new generation.
(README, "Label a whole archive", has what this reuses against emptying a full memory.)
"""
from __future__ import annotations

from typing import Callable, Generic, Hashable, Iterable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        """At most `limit` entries, or one batch's entries where `keep` is given more; 0 keeps nothing."""
        self.limit = limit
        self.recent: dict[K, V] = {}
        self.older: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self.recent) + len(self.older)

    def get(self, key: K) -> V | None:
        value = self.recent.get(key)
        return self.older.get(key) if value is None else value

    def keep(self, entries: Mapping[K, V]) -> None:
        """Remember a batch of `entries`: new ones and those met again (carried out of the older generation)."""
        if not self.limit:
            return
        new = {k: v for k, v in entries.items() if k not in self.recent}
        if len(self.recent) + len(new) > max(self.limit // 2, 1):
            self.older, self.recent = self.recent, {}
            new = dict(entries)
        self.recent.update(new)
        if len(self) > self.limit:
            self.older = {}

    def through(self, work_out: Callable[[list[K]], Mapping[K, V]], keys: Iterable[K]) -> tuple[dict[K, V], dict[K, V]]:
        """Values for the distinct `keys`: those kept, and `work_out` of the rest in one call (a batch is
        cheaper to work out than its items one by one); all are kept. Returns (every value, the fresh ones)."""
        known: dict[K, V] = {}
        todo: list[K] = []
        for key in keys:
            value = self.get(key)
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
                self.older, self.recent = self.recent, {}
            self.recent[key] = value
        return value

    def clear(self) -> None:
        self.recent.clear()
        self.older.clear()
