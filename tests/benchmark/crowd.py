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
from typing import Any

SETTLE_S = 20.0
_ID = re.compile(rb"(?m)^id: (\d+)$")


class Follower:
    """One stream: the positions received, in order, with when their bytes arrived."""

    def __init__(self) -> None:
        self.status = 0
        self.positions = array("q")
        self.times = array("d")
        self.dropped = False
        self.last = 0

    async def run(self, host: str, port: int, key: str, after: int, started: asyncio.Event, count: list[int]) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            _arrived(started, count)
            return
        request = f"GET /v1/events/stream?after={after} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {key}\r\n\r\n"
        writer.write(request.encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.status = int(head.split(b" ", 2)[1])
            _arrived(started, count)
            rest = b""
            while data := await reader.read(65536):
                now = time.time()
                buf = rest + data
                cut = buf.rfind(b"\n") + 1
                rest = buf[cut:]
                for match in _ID.finditer(buf, 0, cut):
                    self.positions.append(int(match[1]))
                    self.times.append(now)
                if b"event: dropped" in buf[:cut]:
                    self.dropped = True
                if self.positions:
                    self.last = self.positions[-1]
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


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
    followers = [Follower() for _ in range(n)]
    started, count = asyncio.Event(), [0, n]
    tasks = [asyncio.create_task(f.run(host, int(port), key, after, started, count)) for f in followers]
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
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
