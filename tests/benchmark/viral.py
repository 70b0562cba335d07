"""A viral incident (issue 28, item 3): every client appending long notes to one incident.

64 clients each add notes of about 15,000 characters (words, a different text per client and per
note, as people write them) to one incident for the length of a measurement. Its appends per second
and p99 are printed beside the spread load's (the "service" part's append, when measured in the same
run). Each worker's RSS is read before and after, with no load running: what a crisis everyone
writes long notes on costs a worker's memory (the fold cache, the live feed's tails, the statements
and snapshots a process keeps must be bounded by bytes, not by entries).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from tests.benchmark.client import Connection
from tests.benchmark.workers import rss_mb, service_workers

Request = tuple[str, str, bytes | None, dict[str, str]]
Load = Callable[[str, int, float, int, Callable[[int, int], Request]], Awaitable[dict[str, Any]]]
NOTE_CHARS = 15_000
_WORDS = (
    "customer outage payment refund delay statement apology twitter thread escalation legal press "
    "screenshot viral influencer brand trust update timeline engineer fixed monitoring rollback "
    "support queue sentiment reach retweet quote journalist response draft approved channel"
).split()


def note_text(rng: random.Random, chars: int = NOTE_CHARS) -> str:
    """About `chars` characters of words, in an order of `rng`'s."""
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:chars]


async def measure(base: str, key: str, load: Load, args: argparse.Namespace) -> dict[str, Any]:
    """The "viral" part: 64 clients appending 15 KB notes to one new incident."""
    auth = {"authorization": f"Bearer {key}"}
    host, port = base.removeprefix("http://").rsplit(":", 1)
    setup = await Connection(host, int(port)).open()
    detect = msgspec.json.encode({"title": "viral", "severity": "sev1", "channel": "x"})
    created = await setup.request("POST", "/v1/incidents", detect, auth)
    await setup.close()
    assert created.status == 201, created.body
    path = f"/v1/incidents/{created.json()['id']}/notes"
    # A few distinct texts per client, each note numbered: no two bodies alike, little time spent making them.
    rng = random.Random(28)
    texts = [[note_text(rng) for _ in range(4)] for _ in range(args.clients)]

    def note(c: int, i: int) -> Request:
        text = f"{i} {texts[c][i % 4]}"[:NOTE_CHARS]
        return "POST", path, msgspec.json.encode({"text": text}), auth

    workers = service_workers()
    before = rss_mb(workers)
    appends = await load(base, args.clients, args.seconds, 500_000, note)
    after = rss_mb(workers)
    return {
        **appends,
        "note_chars": NOTE_CHARS,
        "rss_mb": {"before": before, "after": after},
        "rss_growth_mb": round(max(a - b for a, b in zip(after, before, strict=True)), 1),
    }
