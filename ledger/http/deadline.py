"""A deadline on every request, so a slow query, an exhausted pool or a hung database answers 503, not a hang.

Streaming responses (the live feed, exports) are exempt: they are meant to stay open.
"""

from __future__ import annotations

import asyncio

import msgspec
import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

_BODY = msgspec.json.encode(
    {
        "type": "urn:crisis-ledger:problem:timeout",
        "title": "The request took too long",
        "status": 503,
        "detail": "the request did not finish within the server's deadline; retry (with an Idempotency-Key for writes)",
    }
)


def with_deadline(seconds: float, exempt_prefixes: tuple[str, ...]) -> object:
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"].startswith(exempt_prefixes):
                await app(scope, receive, send)
                return
            started = False

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                async with asyncio.timeout(seconds):
                    await app(scope, receive, tracking_send)
            except TimeoutError:
                log.warning("request_deadline_exceeded", path=scope["path"], seconds=seconds)
                if started:
                    raise
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [(b"content-type", b"application/problem+json"), (b"retry-after", b"1")],
                    }
                )
                await send({"type": "http.response.body", "body": _BODY})

        return middleware

    return middleware_factory
