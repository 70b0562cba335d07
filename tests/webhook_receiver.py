"""A webhook receiver on loopback for tests: verifies every delivery with the `standardwebhooks` library.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to be a real peer for the
service's delivery worker, and can be told to fail attempts or to be down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


@dataclass
class Receiver:
    """`answer(attempt_number, headers, body)` gives the status for each request (default 200)."""

    answer: Callable[[int, dict[str, str], bytes], int | tuple[int, dict[str, str]]] = lambda n, h, b: 200
    secret: str | None = None
    attempts: list[Delivery] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/crisis-ledger"

    @property
    def accepted(self) -> list[Delivery]:
        """Deliveries answered 2xx, in arrival order."""
        return [d for d in self.attempts if 200 <= d.status < 300]

    async def start(self, port: int = 0) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Down: refuse connections (the port stays known, so `start(self.port)` brings it back)."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self._verify(headers, body)
                answer = self.answer(len(self.attempts) + 1, headers, body)
                status, extra = answer if isinstance(answer, tuple) else (answer, {})
                self.attempts.append(Delivery(headers, body, status))
                self.arrived.set()
                head = f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
                writer.write((head + "\r\n").encode("latin-1"))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def _verify(self, headers: dict[str, str], body: bytes) -> None:
        if self.secret is None:
            self.unverified.append("no secret known yet")
            return
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            self.unverified.append(str(exc))


async def wait_until(predicate: Callable[[], bool], within: float, every: float = 0.05) -> None:
    """Poll `predicate` until true; fail the test with a clear message after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(every)
