"""A Server-Sent Events stream within a memory budget, which the server can end on purpose.

The frames come from a generator (the live feed's: ledger.http.stream.follow) that Litestar
hands to the server one `send` at a time; the generator runs again only once its previous frame
was taken. (A stream parked at the head is sent a chunk by its tenant's pass through the server's
own send, `Outbox.direct`, only when the server takes it at once; else its task waits for it.)
The server takes a frame when it has room: granian queues at most four per response,
besides the one its HTTP layer is writing, and the socket's buffers. When a client stops reading
they fill, `send` stops returning, and the generator stops reading the table. So what a stream
holds in this process is at most:
- what its generator read and rendered and the server has not taken (`Outbox.held`): at most one
  page, which the generator sizes by bytes (half the budget, or one event larger than that);
- what the server queued: at most five chunks, each at most a sixteenth of the budget.

A send not taken within `max_lag_s` means the client stopped reading: the stream ends, "dropped",
and a revoked key ends it from wherever it waits (`Outbox.end`). One re-armed timer per stream
watches its sends (a timeout around each send cost more than the send itself: hundreds of streams
send at every commit of their tenant). Either way the last message says
why (`event: dropped` or `event: revoked`), if the server takes it within a few seconds, and
`dropped` says where to resume: never past what the server took (a chunk it was given up on
is not sent), so resuming there loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import msgspec
import structlog
from litestar.response import Stream
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ledger.metrics import STREAM_BUFFERED, STREAM_BUFFERED_PEAK, STREAMS_ENDED

log = structlog.get_logger(__name__)

DEFAULT_BUDGET = 1024 * 1024
MIN_BUDGET = 64 * 1024
DROPPED = "dropped"
REVOKED = "revoked"
# How long the last message (and the end of the response) may wait for the server to take it.
LAST_MESSAGE_WAIT_S = {DROPPED: 5.0, REVOKED: 1.0}
# How far the gauge of the bytes the streams hold may lag behind them.
GAUGE_EVERY_S = 1.0

# Where the edge (ledger.http.edge) leaves the server's own `send` in a request's scope.
SERVER_SEND = "ledger.server_send"

_json = msgspec.json.Encoder()


class Outbox:
    """One stream's budget and state: the bytes it holds (`held`, and the most it ever held,
    `peak`), the last position the server took (`sent`), and why it ended (`ended`)."""

    def __init__(self, budget: int = DEFAULT_BUDGET, max_lag_s: float = 30.0, *, sent: int = 0) -> None:
        self.budget = max(budget, MIN_BUDGET)
        self.page_bytes = self.budget // 2
        self.chunk_bytes = self.budget // 16
        self.max_lag_s = max_lag_s
        self.held = 0
        self.peak = 0
        self.sent = sent
        self.ended: str | None = None
        self._wake: asyncio.Event | None = None  # the generator's, when it waits for events
        self._sender: asyncio.Task[None] | None = None  # the task that sends (`watching`)
        self._since: float | None = None  # when the send the server has not taken began (loop time)
        self._interrupted = False  # `end` cancelled that send
        self._stuck = False
        # The server's own send, when the stream may send past its task (`follow`'s parked pass),
        # and a chunk sent so that the server has not taken it yet, with its last position.
        self.direct: Send | None = None
        self.pending: tuple[Awaitable[None], int] | None = None

    def hold(self, size: int) -> None:
        """The generator rendered `size` more bytes."""
        self.held += size
        _held.add(size)
        if self.held > self.peak:
            self.peak = self.held
            _held.reached(self.peak)

    def taken(self, size: int) -> None:
        """`size` bytes the generator held were handed on (or thrown away)."""
        size = min(size, self.held)
        self.held -= size
        _held.add(-size)

    def wakes(self, event: asyncio.Event) -> None:
        """`event` is what the generator waits on between reads: `end` sets it."""
        self._wake = event

    def end(self, reason: str) -> None:
        """End the stream: its generator stops at its next step, and a send the server has not
        taken is given up now."""
        if self.ended is not None:
            return
        self.ended = reason
        STREAMS_ENDED.labels(reason).inc()
        log.info("stream_ended", reason=reason, sent=self.sent)
        if self._wake is not None:
            self._wake.set()
        if self._since is not None and self._sender is not None:
            self._interrupted = True
            self._sender.cancel()

    def last_message(self) -> bytes:
        """The stream's last frame, saying why it ended (no `id:`: it is no event of the feed)."""
        if self.ended == REVOKED:
            data: dict[str, str] = {"reason": "the API key of this stream was revoked"}
        else:
            data = {
                "reason": f"the client read nothing for {self.max_lag_s:g} s: the server does not hold events for it",
                "resume": f"reconnect with Last-Event-ID: {self.sent}",
            }
        return b"event: %s\ndata: %s\n\n" % ((self.ended or DROPPED).encode(), _json.encode(data))

    async def deliver(self, send: Send, message: Message) -> None:
        """`send`, watched: a body the server does not take within `max_lag_s` ends the stream
        ("dropped"); once it ended, only the last message and the end of the response are sent,
        each if the server takes it soon."""
        if message["type"] != "http.response.body":
            await send(message)
            return
        if self.ended is not None:
            if not self._stuck:
                try:
                    async with asyncio.timeout(LAST_MESSAGE_WAIT_S.get(self.ended, 1.0)):
                        await send(message)
                except TimeoutError:
                    self._stuck = True  # (the response just stops: the server closes it)
            return
        await self.until_taken(send(message))

    async def until_taken(self, sending: Awaitable[None]) -> None:
        """Wait for the server to take a body `sending` (a send under way), watched as `deliver` says."""
        self._since = asyncio.get_running_loop().time()
        try:
            await sending
        except asyncio.CancelledError:
            # `end` gave up on the send (the watch, or a revocation); any other cancel goes on.
            if not self._interrupted or self._sender is None or self._sender.uncancel() > 0:
                raise
        finally:
            self._since = None
            self._interrupted = False

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Around the task that calls `deliver`: a send the server has not taken `max_lag_s` after
        it began ends the stream ("dropped"). One timer, re-armed for the send under way or for
        `max_lag_s` from now, so no send is given up on before `max_lag_s`."""
        loop = asyncio.get_running_loop()
        self._sender = asyncio.current_task()

        def check() -> None:
            nonlocal timer
            now, since = loop.time(), self._since
            if since is not None and now - since >= self.max_lag_s:
                self.end(DROPPED)  # (or it was ended meanwhile: then this does nothing)
            else:
                timer = loop.call_at((now if since is None else since) + self.max_lag_s, check)

        timer = loop.call_later(self.max_lag_s, check)
        try:
            yield
        finally:
            timer.cancel()
            self._sender = None


class Held:
    """What the process's streams hold, for its gauges. In prometheus-client's multiprocess mode
    a gauge's write is an mmap write under a lock, and a stream held and handed on every chunk it
    sent: hundreds of streams spent more on the gauge than on their sends. So the total is written
    `GAUGE_EVERY_S` after it changed (one timer at a time, whatever the streams send meanwhile);
    the peak, only when it rises."""

    def __init__(self) -> None:
        self.total = 0
        self.peak = 0
        self._due: asyncio.TimerHandle | None = None

    def add(self, size: int) -> None:
        """The streams hold `size` more bytes (less, negative)."""
        self.total += size
        if self._due is None:
            self._due = asyncio.get_running_loop().call_later(GAUGE_EVERY_S, self.show)

    def reached(self, peak: int) -> None:
        """One stream held `peak` bytes."""
        if peak > self.peak:
            self.peak = peak
            STREAM_BUFFERED_PEAK.set(peak)

    def show(self) -> None:
        """Write the total to the gauge."""
        self._due = None
        STREAM_BUFFERED.set(self.total)


# The process's: one gauge per process (multiprocess mode sums the workers').
_held = Held()


class PacedStream(Stream):
    """A Stream whose body goes through `outbox.deliver`, and which ends as soon as its frames do
    (Litestar's own waits for the client to disconnect after the last frame: when the client
    stopped reading, that is never, and the response would not end)."""

    def __init__(self, content: AsyncIterator[bytes], *, outbox: Outbox, direct: bool = False, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.frames = content
        self.outbox = outbox
        # Whether chunks may go to the server past `content` (`Outbox.direct`): only when nothing
        # between the feed's generator and this response looks at them.
        self.direct = direct

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        inner = super().to_asgi_response(*args, **kwargs)

        async def paced(scope: Scope, receive: Receive, send: Send) -> None:
            await inner.start_response(send=send)
            # (the edge's and Litestar's wrappers of `send` look at the response's start only)
            self.outbox.direct = scope.get(SERVER_SEND) if self.direct else None
            sending = asyncio.create_task(self._send_all(send))
            listening = asyncio.create_task(_disconnected(receive))
            try:
                await asyncio.wait({sending, listening}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sending, listening):
                    task.cancel()
                await asyncio.gather(sending, listening, return_exceptions=True)
                await _close(self.frames)
            if not sending.cancelled() and (error := sending.exception()) is not None:
                raise error

        app: ASGIApp = paced
        return app

    async def _send_all(self, send: Send) -> None:
        deliver = self.outbox.deliver
        with self.outbox.watching():
            async for chunk in self.frames:
                await deliver(send, {"type": "http.response.body", "body": chunk, "more_body": True})
            await deliver(send, {"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _close(frames: AsyncIterator[bytes]) -> None:
    aclose = getattr(frames, "aclose", None)
    if aclose is not None:
        await aclose()
