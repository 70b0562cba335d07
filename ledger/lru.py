"""A bounded map that forgets its least recently used entries first (the per-process caches)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `size` in total weight (by default each entry weighs 1: `size` entries)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.weight = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The entry, now the most recently used; None if not held."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def peek(self, key: K) -> V | None:
        """The entry, its recency unchanged."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        """Hold `value` as the most recently used entry, then forget the least recent ones until
        the whole weighs at most `size`. An entry heavier than `size` is not held (nor does it
        push the others out)."""
        self.pop(key)
        if weight > self.size:
            return
        self._entries[key] = (value, weight)
        self.weight += weight
        while self.weight > self.size:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.weight -= dropped

    def pop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.weight -= entry[1]
