"""The benchmark's live-feed follower, in a process of its own: the load client's busy event loop
must not delay the receipts it measures. Follows `GET /v1/events/stream` and prints, per event,
`<receipt unix time> <position> <seconds since the event's recorded_at>` (same machine, same clock), until
it is terminated or `max_seconds` pass.

    python -m tests.benchmark.follow <base url> <api key> <max seconds>
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime

import msgspec


async def follow(base: str, key: str, max_seconds: float) -> None:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET /v1/events/stream HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {key}\r\n\r\n".encode())
    decode = msgspec.json.Decoder().decode
    after_head, deadline = False, time.monotonic() + max_seconds
    try:
        while time.monotonic() < deadline:
            try:
                line = await asyncio.wait_for(reader.readline(), 0.5)
            except TimeoutError:
                continue
            if not line:
                return
            if not after_head:
                after_head = line == b"\r\n"
                continue
            # Chunked framing lines are sizes; SSE lines start with a field name.
            if line.startswith(b"data: "):
                now = time.time()
                event = decode(line[6:])
                recorded = datetime.fromisoformat(event["recorded_at"]).timestamp()
                print(f"{now:.6f} {event['position']} {now - recorded:.6f}", flush=True)
    finally:
        writer.close()


if __name__ == "__main__":
    asyncio.run(follow(sys.argv[1], sys.argv[2], float(sys.argv[3])))
