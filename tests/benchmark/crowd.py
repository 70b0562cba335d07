"""Many live-feed followers of one tenant in one process (the benchmark's "followers" part), apart
from the load client so that its busy event loop does not delay the receipts, and light: a
follower keeps only the `id:` line of each frame and the time its bytes arrived (no JSON decode),
so that a few such processes can hold hundreds of streams on the benchmark's machine.

    python -m tests.benchmark.crowd <base url> <api key> <followers> <after>

It connects its followers with `?after=<after>` and prints `ready <connected>` once every response
has begun. It then reads one line of JSON from stdin: `{"start": s, "end": e, "committed": {position:
unix time of its commit}}`, the window of positions the parent compares with the database. It waits
until every follower received `end` (at most `SETTLE_S`), prints one line of JSON (what each
follower missed or received twice in the window, and a histogram of the lags from commit to
receipt in tenths of a millisecond), and exits.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable
from typing import Any

SETTLE_S = 20.0
_ID = re.compile(rb"(?m)^id: (\d+)$")


class Follower(asyncio.Protocol):
    """One stream: the positions received, in order, with when their bytes arrived. A protocol, not
    a stream reader: each arrival is handled where it lands, without waking a task for it (hundreds
    of followers receive every event of their tenant, and the benchmark's machine is the service's)."""

    def __init__(self, request: bytes, arrived: Callable[[], None]) -> None:
        self.status = 0
        self.positions = array("q")
        self.times = array("d")
        self.dropped = False
        self.last = 0
        self._request = request
        self._arrived = arrived
        self._head: bytes | None = b""  # (None once the response's head was read)
        self._rest = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self._request)  # type: ignore[attr-defined]  # (uvloop's TCP transport: no asyncio.Transport)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if self._head is not None:
            head = self._head + data
            end = head.find(b"\r\n\r\n")
            if end < 0:
                self._head = head
                return
            self._head = None
            self.status = int(head.split(b" ", 2)[1])
            self._arrived()
            data = head[end + 4 :]
        buf = self._rest + data
        cut = buf.rfind(b"\n") + 1
        self._rest = buf[cut:]
        for match in _ID.finditer(buf, 0, cut):
            self.positions.append(int(match[1]))
            self.times.append(now)
        if b"event: dropped" in buf[:cut]:
            self.dropped = True
        if self.positions:
            self.last = self.positions[-1]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head is not None:  # (no answer: counted as arrived, with status 0)
            self._head = None
            self._arrived()


def _arrived(started: asyncio.Event, count: list[int]) -> None:
    """One more follower has its answer (or none): `started` once all have."""
    count[0] += 1
    if count[0] == count[1]:
        started.set()


def summary(followers: list[Follower], start: int, end: int, committed: dict[int, float]) -> dict[str, Any]:
    """What the followers received of the positions (start, end], against what was committed."""
    expected = sorted(committed)
    lags: Counter[int] = Counter()
    missing = repeated = complete = 0
    for f in followers:
        seen: dict[int, float] = {}
        window = 0
        for position, at in zip(f.positions, f.times, strict=True):
            if start < position <= end:
                window += 1
                seen.setdefault(position, at)
        repeated += window - len(seen)
        missing += sum(1 for p in expected if p not in seen)
        complete += sorted(seen) == expected and window == len(expected)
        for position, at in seen.items():
            if position in committed:
                lags[round((at - committed[position]) * 10_000)] += 1
    return {
        "followers": len(followers),
        "ok": sum(f.status == 200 for f in followers),
        "dropped": sum(f.dropped for f in followers),
        "expected": len(expected),
        "complete": complete,
        "missing": missing,
        "repeated": repeated,
        "lag_tenth_ms": dict(lags),
    }


async def main(base: str, key: str, n: int, after: int) -> None:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    loop = asyncio.get_running_loop()
    request = f"GET /v1/events/stream?after={after} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {key}\r\n\r\n"
    started, count = asyncio.Event(), [0, n]
    followers = [Follower(request.encode(), lambda: _arrived(started, count)) for _ in range(n)]
    connected = await asyncio.gather(
        *(loop.create_connection(lambda f=f: f, host, int(port)) for f in followers), return_exceptions=True
    )
    transports = [c[0] for c in connected if isinstance(c, tuple)]
    for _ in range(n - len(transports)):
        _arrived(started, count)  # (refused: counted as arrived, with status 0)
    await asyncio.wait_for(started.wait(), 120)
    print(f"ready {sum(f.status == 200 for f in followers)}", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    window = json.loads(line)
    start, end = window["start"], window["end"]
    committed = {int(p): t for p, t in window["committed"].items()}
    deadline = time.monotonic() + SETTLE_S
    # (a poll: whether every stream is there is a question about all of them, asked on a deadline)
    while time.monotonic() < deadline and any(f.last < end and f.status == 200 and not f.dropped for f in followers):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    print(json.dumps(summary(followers, start, end, committed)), flush=True)
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
