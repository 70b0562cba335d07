"""The tenant's feed, live, as Server-Sent Events.

The table is the truth: the stream sends `position > last sent`, first to catch up and then
whenever it is woken (a commit here, a NOTIFY for the tenant, or the poll timeout), so the
switch from catch-up to live neither skips nor repeats a position. Positions are gapless per
tenant and commit in order (`ledger_append` holds the tenant lock until commit), so a read never
sees a later position before an earlier one. Live, the events that follow on from the last sent
position are usually held in memory already (this process's commits, and those the other
processes' notifications carried: `Notifier.recent`); the stream sends those without a read, and
reads the table for anything else — a gap, a lost notification, an event too large to carry.

Memory per connection is one batch: the generator reads the next batch only after the server
has sent the previous one, so a slow client slows its own reads instead of filling a buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream

from ledger.config import Settings
from ledger.feed.notifier import Notifier
from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ
from ledger.http.problems import problem
from ledger.store.events import EventStore
from projections.renders import event_out
from schemas.api import MAX_POSITION

BATCH = 500
_json = msgspec.json.Encoder()


def frame(event_id: int, event_type: str, data: bytes) -> bytes:
    # The event JSON is one line (msgspec never emits raw line breaks), so one `data:` line.
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event_type.encode(), data)


async def follow(
    store: EventStore,
    notifier: Notifier,
    tenant: str,
    after: int,
    *,
    heartbeat_s: float,
    poll_s: float,
    batch: int = BATCH,
) -> AsyncIterator[bytes]:
    """SSE frames for every event of `tenant` after `after`, then live, until shutdown."""
    last = after
    with notifier.subscribe(tenant) as woken:
        # Reconnect hint for browsers' EventSource; they resume with Last-Event-ID.
        yield b"retry: 2000\n\n"
        next_ping = time.monotonic() + heartbeat_s
        while not notifier.closed:
            woken.clear()
            # (under load the read was the largest part of the feed's lag: a round trip through a busy loop)
            events = notifier.recent(tenant, last, batch) or await store.read_feed(tenant, last, batch)
            if events:
                # One write for what one read found: a frame per write would put each event of a
                # burst behind another turn of a busy event loop (and another send to the socket).
                yield b"".join(frame(e.position, e.type, _json.encode(event_out(e))) for e in events)
                last = events[-1].position
            now = time.monotonic()
            if now >= next_ping:
                yield b": ping\n\n"
                next_ping = now + heartbeat_s
            if len(events) == batch:
                continue
            # (asyncio.timeout, not wait_for: wait_for runs the wait as a task of its own, and each
            # task hop is one more turn of a busy event loop between a wake-up and the read)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, min(poll_s, next_ping - now))):
                    await woken.wait()


_POSITION = re.compile(r"^[0-9]{1,16}$")


def _start(after: int | None, last_event_id: str | None) -> int:
    """Last-Event-ID (what a reconnecting client sends) wins over `?after=` (the original URL's)."""
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if _POSITION.match(value) is None or int(value) > MAX_POSITION:
            raise problem(400, "invalid-parameter", "Last-Event-ID must be a feed position", f"got {value[:40]!r}")
        return int(value)
    return after or 0


@get(
    "/v1/events/stream",
    opt=READ,
    responses=ERRORS_READ,
    tags=["feed"],
    media_type="text/event-stream",
    summary="The tenant's event feed, live (Server-Sent Events)",
    description=(
        "`text/event-stream`: `id:` the position, `event:` the type, `data:` the event as "
        "`GET /v1/events` returns it; `: ping` comments as heartbeats. Resumes after `Last-Event-ID` "
        "(or `?after=`)."
    ),
)
async def stream_events(
    request: Request[Any, Any, Any],
    store: NamedDependency[EventStore],
    notifier: NamedDependency[Notifier],
    settings: NamedDependency[Settings],
    # (schema_extra: Litestar leaves a bound of 0 out of the OpenAPI document of an optional one.)
    after: Annotated[
        int | None, QueryParameter(ge=0, le=MAX_POSITION, description="Last position seen", schema_extra={"minimum": 0})
    ] = None,
    last_event_id: Annotated[
        str | None,
        HeaderParameter(
            name="Last-Event-ID", max_length=64, pattern=r"^ *[0-9]{0,15} *$", description="Last position seen"
        ),
    ] = None,
) -> Stream:
    start = _start(after, last_event_id)
    frames = follow(
        store,
        notifier,
        principal_of(request).tenant,
        start,
        heartbeat_s=settings.stream_heartbeat_s,
        poll_s=settings.stream_poll_s,
    )
    return Stream(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
