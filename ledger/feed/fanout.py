"""What the live feeds of one process share: one read of the table per tenant and position at a
time, and each event's frame rendered once.

Hundreds of streams may follow one tenant in a process. A commit wakes them all at once, and they
all stand at the same position: each reading the table for itself (when the next event is not held
in the notifier's tail: a gap while another process's notification is on its way, an event too
large to carry, a poll) made as many identical queries, and each rendering every event for itself
made as many identical frames. Here the first stream to ask for the events after a position reads
them and every stream that asks for the same meanwhile is handed the same answer; a frame
rendered for one stream is kept for the others, by bytes (`FRAMES_BYTES`); and so are the chunks
the held events after a position were joined into (`Fanout.chunks`): at every wake-up, each
stream of the tenant would otherwise look up, measure and join the same frames into the same bytes.

Both are safe to share because events never change: the events after a position, as far as a read
saw them, are the same for every reader (a later read may see more, never other ones), and an
event's frame is a function of the event alone. One instance per app, made in its lifespan.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from ledger.lru import Lru
from schemas.events import Event

# The frames kept for the process's streams, in bytes: a few thousand ordinary events; the
# streams of a tenant take them within milliseconds of each other, so only the newest matter.
FRAMES_BYTES: Final = 4 * 2**20

T = TypeVar("T")


class Fanout:
    """Shared reads and rendered frames of the process's live feeds (the invariants: above)."""

    def __init__(self, render: Callable[[Event], bytes], frames_bytes: int = FRAMES_BYTES) -> None:
        self._render = render
        self._frames: Lru[tuple[str, int], bytes] = Lru(frames_bytes)
        # (tenant, after, last position, page bytes, chunk bytes) -> the chunks and whether some were left out
        self._chunks: Lru[tuple[str, int, int, int, int], tuple[list[tuple[bytes, int]], bool]] = Lru(frames_bytes)
        # (tenant, position) -> when the read began (time.monotonic(), never a loop's cached clock), and its answer
        self._reads: dict[tuple[str, int], tuple[float, asyncio.Future[object]]] = {}
        self.reads = 0  # table reads made (not shared): what the tests count

    def frame(self, event: Event) -> bytes:
        """The event's frame, rendered once for every stream of the process that sends it."""
        key = (event.tenant_id, event.position)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._render(event)
            self._frames.put(key, frame, weight=len(frame))
        return frame

    def chunks(
        self,
        tenant: str,
        after: int,
        held: list[Event],
        sizes: tuple[int, int],
        join: Callable[[], tuple[list[tuple[bytes, int]], bool]],
    ) -> tuple[list[tuple[bytes, int]], bool]:
        """`join()`'s answer for the events `held` after `after` (`Notifier.recent`'s, never empty)
        at `sizes` (a stream's page and chunk bytes): the chunks and whether some events were left
        out, joined once for every stream of the process at the same position. Held by bytes, like
        the frames; the streams of a tenant take them within milliseconds of each other."""
        key = (tenant, after, held[-1].position, *sizes)
        joined = self._chunks.get(key)
        if joined is None:
            joined = join()
            self._chunks.put(key, joined, weight=sum(len(chunk) for chunk, _ in joined[0]))
        return joined

    async def read(self, tenant: str, after: int, since: float, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`'s answer (the tenant's events after `after`), shared with every stream that asks
        for the same position while it is on its way. Only a read that began at or after `since`
        (the tenant's last wake-up before the asker cleared its own, `time.monotonic()`) is joined:
        an earlier one might not see the commit that woke it. (A stream woken by its own poll may
        join a read begun before the poll: a commit whose notification was lost then waits for
        the next poll.) A stream that leaves does not cancel the read for the others."""
        key = (tenant, after)
        pending = self._reads.get(key)
        if pending is None or pending[0] < since:
            self.reads += 1
            pending = (time.monotonic(), asyncio.ensure_future(read()))
            self._reads[key] = pending
            pending[1].add_done_callback(lambda done: self._done(key, done))
        return await asyncio.shield(pending[1])  # type: ignore[return-value]

    def _done(self, key: tuple[str, int], done: asyncio.Future[object]) -> None:
        held = self._reads.get(key)
        if held is not None and held[1] is done:
            del self._reads[key]
        if not done.cancelled():
            done.exception()  # (retrieved: when every waiter left, nobody else would)
