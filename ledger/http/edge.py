"""The one ASGI middleware every request passes through: request id, access log, latency, deadline.

- A request id on every log line and response: the client's `X-Request-ID` when it is sane, else
  a new one.
- One access log line per request (method, path without its query, status, duration). Headers,
  and so keys, are never logged.
- The request latency histogram, by route template (never the raw path: ids stay out).
- A deadline, so a slow query, an exhausted pool or a hung database answers 503, not a hang.
  Streaming responses (the live feed, exports) are exempt: they are meant to stay open.

One layer rather than one per concern: each layer is another coroutine and another wrapped
`send` on every request, and the appends are the hot path (README "Performance").
"""

from __future__ import annotations

import asyncio
import random
import re
import time

import msgspec
import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ledger.http.problems import TYPE_BASE
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


def new_request_id() -> str:
    """32 random hex digits. A request id only tells log lines apart: it needs to be unique, not
    unguessable, so it comes from `random` (reseeded in each forked worker) rather than the
    system's entropy (a system call per request under load)."""
    return f"{random.getrandbits(128):032x}"


def edge(seconds: float, exempt_prefixes: tuple[str, ...]) -> object:
    """The middleware factory: a deadline of `seconds` on every path not under `exempt_prefixes`."""

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        pool_seen = [0.0]  # when the pool gauges were last written

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
            request_id = given if _REQUEST_ID.match(given) else new_request_id()
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(request_id=request_id)
            started = time.perf_counter()
            status = 500
            responding = False
            request_id_header = (b"x-request-id", request_id.encode())

            async def send_with_id(message: Message) -> None:
                nonlocal status, responding
                if message["type"] == "http.response.start":
                    status = message["status"]
                    responding = True
                    message["headers"] = [*message.get("headers", ()), request_id_header]
                await send(message)

            path = scope["path"]
            try:
                if path.startswith(exempt_prefixes):
                    await app(scope, receive, send_with_id)
                else:
                    try:
                        async with asyncio.timeout(seconds):
                            await app(scope, receive, send_with_id)
                    except TimeoutError:
                        log.warning("request_deadline_exceeded", path=path, seconds=seconds)
                        if responding:
                            raise
                        # (send_with_id makes the headers a new list, with the request id.)
                        await send_with_id({"type": "http.response.start", "status": 503, "headers": _TIMEOUT_HEADERS})
                        await send_with_id({"type": "http.response.body", "body": _TIMEOUT_BODY})
            finally:
                duration = time.perf_counter() - started
                access.info(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    duration_ms=round(duration * 1000, 2),
                )
                if path != "/metrics":
                    litestar_app = scope.get("litestar_app")
                    if (
                        litestar_app is not None
                        and "pool" in litestar_app.state
                        and started > pool_seen[0] + _POOL_GAUGES_EVERY_S
                    ):
                        pool_seen[0] = started
                        observe_pool(litestar_app.state.pool, litestar_app.state.settings.pool_max)
                    route = scope.get("path_template") or "unmatched"
                    request_seconds(scope.get("method", ""), route, status).observe(duration)

        return middleware

    return middleware_factory
