"""The one ASGI layer every request passes through: request id, access log, latency, deadline.

It wraps the whole application, the router included (`wrap`, below), not the route handlers: a
404 for an unknown path or an id that is not a UUID, and a 405, are answered by Litestar's
router before any route middleware runs, and they too get a request id, a log line and a count.

- A request id on every log line and response: the client's `X-Request-ID` when it is sane, else
  a new one.
- One access log line per request (method, path without its query, status, duration). Headers,
  and so keys, are never logged.
- The request latency histogram, by route template (never the raw path: ids stay out).
- A deadline, so a slow query, an exhausted pool or a hung database answers 503, not a hang.
  Streaming responses (the live feed, exports) are exempt: they are meant to stay open. A stream
  that must start within it (the what-if) has it until its answer starts, and none after.

One layer rather than one per concern: each layer is another coroutine and another wrapped
`send` on every request, and the appends are the hot path (README "Performance").
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable

import msgspec
import structlog
from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ledger.http.problems import TYPE_BASE
from ledger.http.sse import SERVER_SEND
from ledger.metrics import observe_pool, request_seconds

log = structlog.get_logger(__name__)
access = structlog.get_logger("access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

_TIMEOUT_BODY = msgspec.json.encode(
    {
        "type": TYPE_BASE + "timeout",
        "title": "The request took too long",
        "status": 503,
        "detail": "the request did not finish within the server's deadline; retry (with an Idempotency-Key for writes)",
    }
)
_TIMEOUT_HEADERS = ((b"content-type", b"application/problem+json"), (b"retry-after", b"1"))

_POOL_GAUGES_EVERY_S = 1.0  # a gauge write per request is costly in multiprocess mode

# The method label takes only these: a client may send any token as a method, and each new
# label value would be a new series for as long as the process lives.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PATH_LOGGED = 512  # characters of an (unmatched) path worth a log line


def new_request_id() -> str:
    """32 random hex digits. A request id only tells log lines apart: it needs to be unique, not
    unguessable, so it comes from `random` (reseeded in each forked worker) rather than the
    system's entropy (a system call per request under load)."""
    return f"{random.getrandbits(128):032x}"


def wrap(app: Litestar, seconds: float, exempt_prefixes: tuple[str, ...], until_started: tuple[str, ...] = ()) -> None:
    """Put the edge around `app`'s whole ASGI handler (router and its exception handling)."""
    app.asgi_handler = edge(seconds, exempt_prefixes, until_started)(app.asgi_handler)


def _complete_allow(
    known: dict[str | None, bytes | None], scope: Scope, headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """`Allow` naming every method the path answers to (`known` remembers it per path template).
    Litestar's own OPTIONS answer names only the methods of the handlers registered together with
    the first one at a path, not those of a handler registered at it later."""
    template = scope.get("path_template")
    if template not in known:
        app = scope.get("litestar_app")
        methods = {
            method
            for route in (app.routes if app is not None else ())
            if route.path_format == template
            for method in route.methods
        }
        known[template] = ", ".join(sorted(methods)).encode() if methods else None
    allow = known[template]
    if allow is None:
        return headers
    return [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allow)]


def edge(
    seconds: float, exempt_prefixes: tuple[str, ...], until_started: tuple[str, ...] = ()
) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware factory: a deadline of `seconds` on every path not under `exempt_prefixes`;
    under `until_started`, only until the response starts (a stream that must begin in time)."""

    def around(app: ASGIApp) -> ASGIApp:
        return Edge(app, seconds, exempt_prefixes, until_started)

    return around


class Edge:
    """The edge around one ASGI app (the module docstring says what it does for each request)."""

    __slots__ = ("allow", "app", "exempt_prefixes", "pool_seen", "seconds", "until_started")

    def __init__(
        self, app: ASGIApp, seconds: float, exempt_prefixes: tuple[str, ...], until_started: tuple[str, ...]
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.exempt_prefixes = exempt_prefixes
        self.until_started = until_started
        self.pool_seen = 0.0  # when the pool gauges were last written
        self.allow: dict[str | None, bytes | None] = {}  # per path template, its complete `Allow`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _request_id(scope["headers"])
        scope[SERVER_SEND] = send  # type: ignore[literal-required]  # (a live feed sends its chunks past the wrappers)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        responding = False
        request_id_header = (b"x-request-id", request_id.encode())
        path = scope["path"]
        deadline: asyncio.Timeout | None = None
        lifted = path.startswith(self.until_started)  # (the deadline, once the response starts)
        allow = self.allow

        async def send_with_id(message: Message) -> None:
            nonlocal status, responding
            if message["type"] == "http.response.start":
                status = message["status"]
                responding = True
                if lifted and deadline is not None and not deadline.expired():  # (else: the 503)
                    deadline.reschedule(None)
                headers = [*message.get("headers", ()), request_id_header]
                if scope["method"] == "OPTIONS" and status == 204:
                    headers = _complete_allow(allow, scope, headers)
                message["headers"] = headers
            await send(message)

        try:
            if path.startswith(self.exempt_prefixes):
                await app(scope, receive, send_with_id)
            else:
                try:
                    async with asyncio.timeout(self.seconds) as deadline:
                        await app(scope, receive, send_with_id)
                except TimeoutError:
                    log.warning("request_deadline_exceeded", path=path, seconds=self.seconds)
                    if responding:
                        raise
                    await _answer_timeout(send_with_id)
        finally:
            self._record(scope, path, status, started)

    def _record(self, scope: Scope, path: str, status: int, started: float) -> None:
        """The access log line, the latency histogram and, at most once a second, the pool gauges."""
        duration = time.perf_counter() - started
        method = scope.get("method", "")
        access.info(
            "request",
            method=method[:16],
            path=path[:_PATH_LOGGED],
            status=status,
            duration_ms=round(duration * 1000, 2),
        )
        if path == "/metrics":
            return
        litestar_app = scope.get("litestar_app")
        due = started > self.pool_seen + _POOL_GAUGES_EVERY_S
        if due and litestar_app is not None and "pool" in litestar_app.state:
            self.pool_seen = started
            observe_pool(litestar_app.state.pool, litestar_app.state.settings.pool_max)
        route = scope.get("path_template") or "unmatched"
        request_seconds(method if method in _METHODS else "other", route, status).observe(duration)


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's `X-Request-ID` when it is sane, else a new one."""
    given = next((v.decode("latin-1") for k, v in headers if k == b"x-request-id"), "")
    return given if _REQUEST_ID.match(given) else new_request_id()


async def _answer_timeout(send_with_id: Send) -> None:
    """The 503 of a request past its deadline that had not started its answer (`send_with_id`
    makes the headers a new list, with the request id)."""
    await send_with_id({"type": "http.response.start", "status": 503, "headers": _TIMEOUT_HEADERS})
    await send_with_id({"type": "http.response.body", "body": _TIMEOUT_BODY})
