"""The tenant's feed, live, as Server-Sent Events.

The table is the truth: the stream sends `position > last sent`, first to catch up and then
whenever it is woken (a commit here, a NOTIFY for the tenant, or the poll timeout), so the
switch from catch-up to live neither skips nor repeats a position. Positions are gapless per
tenant and commit in order (`ledger_append` holds the tenant lock until commit), so a read never
sees a later position before an earlier one. Live, the events that follow on from the last sent
position are usually held in memory already (this process's commits, and those the other
processes' notifications carried: `Notifier.recent`); the stream sends those without a read, and
reads the table for anything else — a gap, a lost notification, an event too large to carry.

Memory per stream is bounded by bytes, whatever the history (ledger.http.sse): the generator
reads a page of at most half the stream's budget (`Outbox.page_bytes`; one event alone if it is
larger), hands it on in chunks of at most a sixteenth, and reads the next page only once the
server took the last chunk, so a slow client slows its own reads instead of filling a buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream

from ledger.config import Settings
from ledger.feed.fanout import Fanout
from ledger.feed.notifier import Notifier
from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ
from ledger.http.problems import problem
from ledger.http.sse import REVOKED, Outbox, PacedStream
from ledger.service.access import Revocations
from ledger.store.events import EventStore
from projections.renders import event_out
from schemas.api import MAX_POSITION
from schemas.events import Event

BATCH = 500
# What a page read from the table is asked for first, in events; later pages are sized from the
# bytes per event the previous one had, so that a page of large events scans few rows more than
# it returns (the byte bound is applied after the count: rows past it are read and left).
FIRST_PAGE = 64
# An event renders to its data plus at most this much more (ids, hashes, times, names, the frame).
FRAME_OVERHEAD = 1024
_json = msgspec.json.Encoder()


def frame(event_id: int, event_type: str, data: bytes) -> bytes:
    # The event JSON is one line (msgspec never emits raw line breaks), so one `data:` line.
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event_type.encode(), data)


def frame_of(event: Event) -> bytes:
    """The event's SSE frame (what `Fanout` keeps for the process's streams)."""
    return frame(event.position, event.type, _json.encode(event_out(event)))


def render(
    events: Iterable[Event], max_bytes: int, frame_of: Callable[[Event], bytes] = frame_of
) -> tuple[deque[tuple[int, bytes]], bool]:
    """Frames of `events` in order, (position, frame), as many as fit in `max_bytes` (at least one);
    and whether some were left out."""
    frames: deque[tuple[int, bytes]] = deque()
    size = 0
    for event in events:
        rendered = frame_of(event)
        if frames and size + len(rendered) > max_bytes:
            return frames, True
        frames.append((event.position, rendered))
        size += len(rendered)
    return frames, False


def chunks(frames: deque[tuple[int, bytes]], max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """The frames joined into chunks of at most `max_bytes` (a larger frame alone), each with the
    position of its last frame. Frames leave `frames` as they are joined: nothing is held twice."""
    while frames:
        position, first = frames.popleft()
        parts, size = [first], len(first)
        while frames and size + len(frames[0][1]) <= max_bytes:
            position, more = frames.popleft()
            parts.append(more)
            size += len(more)
        yield b"".join(parts), position


def page_events(rendered: int, count: int, page_bytes: int, batch: int) -> int:
    """How many events to ask for next: a page's worth at the bytes per event of the last page."""
    if count == 0:
        return FIRST_PAGE
    return max(1, min(batch, page_bytes * count * 5 // (4 * max(rendered, 1)) + 1))


def _held_chunks(fanout: Fanout, tenant: str, box: Outbox, held: list[Event]) -> tuple[list[tuple[bytes, int]], bool]:
    """The chunks of the events `held` after `box.sent` (`Notifier.recent`'s), joined once for
    the process's streams at that position (`Fanout.chunks`), and whether some were left out."""

    def join() -> tuple[list[tuple[bytes, int]], bool]:
        frames, cut = render(held, box.page_bytes, fanout.frame)
        return list(chunks(frames, box.chunk_bytes)), cut

    return fanout.chunks(tenant, box.sent, held, (box.page_bytes, box.chunk_bytes), join)


def _send_parked(notifier: Notifier, fanout: Fanout, tenant: str, box: Outbox, batch: int, *, ping_due: bool) -> bool:
    """A parked stream's turn in its tenant's pass (`follow`): send what is new through the
    server's own send (`box.direct`) when the notifier's tail holds it and it is one chunk; False
    for the stream's task to do the rest: a gap or an event not held (a table read), more than one
    chunk, a heartbeat due, an end, shutdown, a send that failed, and one the server did not take
    at once (a slow client's: `box.pending`, which its task waits for under the send watch, so
    no other stream waits for it). Hundreds of streams of a tenant each woken to send the same
    chunk were the largest part of their cost. `box.sent` moves only once the server took it."""
    direct = box.direct
    if direct is None or box.pending is not None or box.ended is not None or notifier.closed or ping_due:
        return False
    held = notifier.recent(tenant, box.sent, batch)
    if not held or len(held) == batch:
        return False
    joined, cut = _held_chunks(fanout, tenant, box, held)
    if len(joined) != 1 or cut:
        return False
    chunk, upto = joined[0]
    try:
        sending = direct({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception:  # (the response is over: the task's own send says so)
        return False
    if asyncio.isfuture(sending) or asyncio.iscoroutine(sending):
        box.pending = (sending, upto)
        return False
    box.sent = upto  # (granian's answer when the response's queue had room: taken)
    return True


async def _next_page(
    store: EventStore,
    notifier: Notifier,
    fanout: Fanout,
    tenant: str,
    box: Outbox,
    batch: int,
    asked: int,
    since: float,
) -> tuple[list[tuple[bytes, int]], bool, int]:
    """The next page after `box.sent` as chunks of at most `box.chunk_bytes` (`chunks`), whether
    more are waiting, and how many events to ask the table for next time. From memory when held
    there (`Notifier.recent`; joined once for the process's streams at that position:
    `Fanout.chunks`), else from the table (a read the process's streams at the same position
    share: `Fanout.read`); at most `box.page_bytes` either way."""
    after = box.sent
    held = notifier.recent(tenant, after, batch)
    if held:
        joined, cut = _held_chunks(fanout, tenant, box, held)
        return joined, cut or len(held) == batch, asked
    events, more = await fanout.read(
        tenant, after, since, lambda: store.read_feed_page(tenant, after, asked, box.page_bytes, FRAME_OVERHEAD)
    )
    frames, cut = render(events, box.page_bytes, fanout.frame)
    asked = page_events(sum(len(f) for _, f in frames), len(frames), box.page_bytes, batch)
    return list(chunks(frames, box.chunk_bytes)), more or cut, asked


class _Beat:
    """A stream's poll and heartbeat: one timer, set again when it fires (not one per wait: under
    load a stream waits at every commit of its tenant, and hundreds of streams do). Polls fall due
    on multiples of `poll_s` of the loop's clock, the same instants for every stream of the
    process: a tenant's streams, at one position, then share one read (`Fanout.read`) instead of
    each reading at its own moment. A poll or a due heartbeat sets `woken`."""

    def __init__(self, woken: asyncio.Event, *, poll_s: float, heartbeat_s: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.woken = woken
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.next_ping = time.monotonic() + heartbeat_s
        self.timer = self._arm()

    def _arm(self) -> asyncio.TimerHandle:
        now = self.loop.time()
        until_ping = self.next_ping - time.monotonic()  # (due now: this wake-up sends it and moves it on)
        wait = min(self.poll_s - now % self.poll_s, until_ping if until_ping > 0 else self.heartbeat_s)
        return self.loop.call_at(now + wait, self._tick)

    def _tick(self) -> None:
        self.woken.set()
        self.timer = self._arm()

    def ping_due(self) -> bool:
        return time.monotonic() >= self.next_ping

    def ping_taken(self) -> bool:
        """Whether a heartbeat is due now; if so, the next one is due a heartbeat from now."""
        now = time.monotonic()
        if now < self.next_ping:
            return False
        self.next_ping = now + self.heartbeat_s
        return True


async def _at_head(notifier: Notifier, tenant: str, woken: asyncio.Event, serve: Callable[[], None] | None) -> None:
    """Wait at the head for the tenant's next wake-up, parked (`serve` is then called in the
    tenant's pass instead of waking this stream's task, see `follow`) when `serve` is given."""
    if serve is not None:
        notifier.park(tenant, woken, serve)
    try:
        await woken.wait()
    finally:
        notifier.unpark(tenant, woken)


async def _parked_taken(box: Outbox) -> bool:
    """Wait for what was sent while the stream was parked (if anything) to be taken; whether the
    stream goes on."""
    if box.pending is not None:
        sending, upto = box.pending
        box.pending = None
        await box.until_taken(sending)
        if box.ended is not None:
            return False
        box.sent = upto
    return True


async def follow(
    store: EventStore,
    notifier: Notifier,
    tenant: str,
    after: int,
    *,
    heartbeat_s: float,
    poll_s: float,
    batch: int = BATCH,
    outbox: Outbox | None = None,
    fanout: Fanout | None = None,
) -> AsyncIterator[bytes]:
    """SSE frames for every event of `tenant` after `after`, then live, until shutdown or until
    `outbox` is ended (its last message is then the last frame). `fanout`: what the process's
    streams share (a stream of its own shares nothing)."""
    box = outbox or Outbox(sent=after)
    box.sent = after
    fanout = fanout or Fanout(frame_of)
    asked = FIRST_PAGE

    # At the head, with the server's own send, the stream parks (`Notifier.park`): a wake-up of
    # the tenant then calls this, in one pass over its parked streams, instead of waking this
    # stream's task (`_send_parked` says what it sends; for anything else it hands the stream back).
    def serve() -> None:
        if not _send_parked(notifier, fanout, tenant, box, batch, ping_due=beat.ping_due()):
            notifier.unpark(tenant, woken)
            woken.set()

    with notifier.subscribe(tenant) as woken:
        box.wakes(woken)
        beat = _Beat(woken, poll_s=poll_s, heartbeat_s=heartbeat_s)
        try:
            # Reconnect hint for browsers' EventSource; they resume with Last-Event-ID.
            yield b"retry: 2000\n\n"
            while not notifier.closed and box.ended is None:
                woken.clear()
                if not await _parked_taken(box):
                    break
                since = notifier.last_wake(tenant)
                # (under load the read was the largest part of the feed's lag: a round trip through a busy loop)
                page, more, asked = await _next_page(store, notifier, fanout, tenant, box, batch, asked, since)
                if page:
                    box.hold(sum(len(chunk) for chunk, _ in page))
                    # One write per chunk: a frame per write would put each event of a burst behind
                    # another turn of a busy event loop (and another send to the socket).
                    for chunk, upto in page:
                        yield chunk
                        box.taken(len(chunk))
                        if box.ended is not None:
                            break
                        box.sent = upto
                if box.ended is None and beat.ping_taken():
                    yield b": ping\n\n"
                if more or box.ended is not None:
                    continue
                await _at_head(notifier, tenant, woken, serve if box.direct is not None else None)
            if box.ended is not None:
                yield box.last_message()
        finally:
            beat.timer.cancel()
            box.taken(box.held)


async def watched(
    frames: AsyncIterator[bytes], revocations: Revocations, key_hash: bytes, box: Outbox
) -> AsyncIterator[bytes]:
    """`frames`, ended (with `event: revoked`) as soon as the key is revoked (here or in another
    process: ledger.service.access.Revocations). `box` is the outbox `frames` was made with."""
    # (aclosing: closing this closes `frames` at once, which leaves the notifier's subscription)
    async with contextlib.aclosing(frames):
        with revocations.watch(key_hash, lambda: box.end(REVOKED)):
            async for chunk in frames:
                yield chunk


_POSITION = re.compile(r"^[0-9]{1,16}$")


def start_position(after: int | None, last_event_id: str | None) -> int:
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
        "(or `?after=`). The server may end it with a last `event: dropped` (the client read nothing "
        "for `LEDGER_STREAM_MAX_LAG_S`; its data says which `Last-Event-ID` to reconnect with) or "
        "`event: revoked` (the key was revoked); neither carries an `id:`."
    ),
)
async def stream_events(
    request: Request[Any, Any, Any],
    store: NamedDependency[EventStore],
    notifier: NamedDependency[Notifier],
    fanout: NamedDependency[Fanout],
    settings: NamedDependency[Settings],
    revocations: NamedDependency[Revocations],
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
) -> Stream:  # (a PacedStream: the document says "Stream Response" for this annotation)
    start = start_position(after, last_event_id)
    principal = principal_of(request)
    box = Outbox(settings.stream_buffer_bytes, settings.stream_max_lag_s, sent=start)
    frames = follow(
        store,
        notifier,
        principal.tenant,
        start,
        heartbeat_s=settings.stream_heartbeat_s,
        poll_s=settings.stream_poll_s,
        outbox=box,
        fanout=fanout,
    )
    return PacedStream(
        watched(frames, revocations, principal.key_hash, box),
        outbox=box,
        direct=True,  # (`watched` passes the chunks on as they are; a revocation ends the box)
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
