"""Concurrent lookups of one key share one round trip (the per-process caches' refreshes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SharedLookups(Generic[K, V]):
    """The first caller to look a key up does the lookup; callers that ask for the same key
    before it returns wait for that answer (or its error) instead of asking again.

    Why: a cache entry trusted for a second expires for every request at once, and under load
    each request that arrived in the lookup's round trip asked the database again (an API key
    or the plan in force, once per request in flight rather than once per second).
    Holds only lookups in flight; an entry leaves when its lookup returns. A caller that gives
    up (a deadline) does not cancel the lookup the others wait for.
    """

    def __init__(self) -> None:
        self._pending: dict[K, asyncio.Future[V]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    async def get(self, key: K, look_up: Callable[[], Awaitable[V]]) -> V:
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(look_up())
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(pending)

    def forget(self, key: K) -> None:
        """Callers from now on look the key up again (those waiting still get the lookup in flight)."""
        self._pending.pop(key, None)

    def _settled(self, key: K, done: asyncio.Future[V]) -> None:
        if self._pending.get(key) is done:
            del self._pending[key]
        if not done.cancelled():
            done.exception()  # (retrieved: every waiter may have given up before it failed)
