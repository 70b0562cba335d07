"""The reply review's share of a reply append, and the review endpoint under load.

Reply appends with the review on (the rules as shipped) and off (the rules' `judge` replaced by a
fixed result: only in the benchmark's own processes, never in the service's code), alternating
rounds on, off, on, off so that the machine's drift falls on both; a ratio is the throughput with
the review over the throughput without it, from the summed rounds. The replies are typical ones
(fine, 100-280 characters, English and Turkish, hundreds of different ones from the labelled sets,
language detected), so none is refused.

- Through HTTP (the target): two servers on the benchmark's database, started alike with granian,
  one with `ledger.http.asgi:create` and one with `create_without_review` below; the load goes to
  one at a time.
- In this process (`reply_append_ratio`): through the real Shell and EventStore, no HTTP; the
  review's share of what is left is larger, so this ratio is the stricter one.

`review_request`: what the load generator sends to `POST /v1/replies/review`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import asyncpg
import msgspec

from ledger import gc_tuning
from ledger.domain import rules
from ledger.domain.commands import Detect, Reply
from ledger.domain.review import Judgement, judge
from ledger.domain.review.quality import TYPICAL_REPLIES, load_all
from ledger.service.command_runner import Done, Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity, Visibility
from tests.benchmark.client import Connection

Request = tuple[str, str, bytes | None, dict[str, str]]
Servers = Callable[[str, dict[str, str], int], AbstractContextManager[str]]  # (target, env, workers) -> base URL
Load = Callable[[str, int, float, int, Callable[[int, int], Request]], Awaitable[dict[str, Any]]]


def _drafts() -> list[str]:
    """Fine replies of a typical length (100-280 characters) from the labelled sets, English and
    Turkish, hundreds of them: real replies are unique, so a review that remembered the last few
    texts must not gain here. Only those the review lets through, so none is refused."""
    texts = [
        e.text for e in load_all() if e.expected == "ok" and e.visibility == "public" and 100 <= len(e.text) <= 280
    ]
    texts += TYPICAL_REPLIES["en"] + TYPICAL_REPLIES["tr"]
    return [text for text in texts if judge(text).verdict == "ok"]


_TEXTS = _drafts()
_FIXED = Judgement(verdict="ok", language="en", findings=[])
PUBLIC = Visibility.PUBLIC


def create_without_review() -> Any:
    """The service's ASGI factory with the rules' review replaced by a fixed result (benchmark only)."""
    from ledger.http.asgi import create

    rules.judge = lambda text, **_: _FIXED  # type: ignore[assignment]
    return create()


def reply_request(i: int) -> bytes:
    """A reply for `POST /v1/incidents/{id}/replies`: the typical replies in turn, language detected."""
    return msgspec.json.encode({"channel": "x", "visibility": "public", "text": _TEXTS[i % len(_TEXTS)]})


@contextlib.contextmanager
def _review_off() -> Iterator[None]:
    """The rules without the review: `judge` answers a fixed result (this process only)."""
    shipped = rules.judge
    rules.judge = lambda text, **_: _FIXED  # type: ignore[assignment]
    try:
        yield
    finally:
        rules.judge = shipped  # type: ignore[assignment]


async def reply_append_ratio(
    pool: asyncpg.Pool, tenant: str, *, rounds: int, per_round: int, concurrency: int
) -> dict[str, Any]:
    """Reply appends per second with the review on and off, alternating rounds, and their ratio."""
    shell = Shell(EventStore(pool), PolicyStore(pool))
    who = Principal(tenant, "bench", Scope.WRITE)
    incidents = []
    for _ in range(concurrency):
        detect = Detect(
            incident_id=uuid.uuid4(), actor="bench", title="bench", severity=Severity.SEV2, channel=Channel.X
        )
        done = await shell.execute(who, detect)
        assert isinstance(done, Done)
        incidents.append(done.incident.id)
    texts = itertools.cycle(_TEXTS)

    async def appends(count: int) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this process) for `count` reply appends, `concurrency` at a time."""
        queue = iter(range(count))

        async def worker(incident: uuid.UUID) -> None:
            for _ in queue:
                reply = Reply(
                    incident_id=incident,
                    actor="bench",
                    channel=Channel.X,
                    visibility=Visibility.PUBLIC,
                    text=next(texts),
                )
                assert isinstance(await shell.execute(who, reply), Done)

        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(incident) for incident in incidents))
        return time.perf_counter() - wall, time.process_time() - cpu

    await appends(per_round // 2)  # warm-up: caches, prepared statements, the pool
    with _review_off():
        await appends(per_round // 2)
    totals = {"on": [0.0, 0.0], "off": [0.0, 0.0]}
    with gc_tuning.fewer_collections():  # (as the service's processes run: ledger/http/asgi.py)
        for _ in range(rounds):
            for mode in ("on", "off"):
                with _review_off() if mode == "off" else contextlib.nullcontext():
                    wall, cpu = await appends(per_round)
                totals[mode][0] += wall
                totals[mode][1] += cpu
    count = rounds * per_round
    on, off = (count / totals[mode][0] for mode in ("on", "off"))
    return {
        "appends_per_mode": count,
        "rounds": rounds,
        "concurrency": concurrency,
        "per_second_review_on": round(on, 1),
        "per_second_review_off": round(off, 1),
        "cpu_us_per_append_review_on": round(totals["on"][1] / count * 1e6, 1),
        "cpu_us_per_append_review_off": round(totals["off"][1] / count * 1e6, 1),
        "ratio": on / off,
    }


async def reply_appends_http(
    url: str, key: str, args: argparse.Namespace, granian: Servers, load: Load
) -> dict[str, Any]:
    """Reply appends per second on a server with the review and on one without it (both started
    alike, on the same database), the load on one at a time in alternating rounds."""
    env = {
        "LEDGER_DATABASE_URL": url,
        "LEDGER_LOG_LEVEL": "warning",
        "LEDGER_LOG_FORMAT": "json",
        "LEDGER_RATE_LIMIT_PER_MINUTE": "1000000",
        "LEDGER_STREAM_POLL_MS": "1000",
        "LEDGER_MIGRATE_ON_START": "false",
    }
    auth = {"authorization": f"Bearer {key}"}
    rounds, seconds = (2, args.seconds / 2) if args.quick else (4, args.seconds / 2)
    with (
        tempfile.TemporaryDirectory() as on_metrics,
        tempfile.TemporaryDirectory() as off_metrics,
        granian("ledger.http.asgi:create", {**env, "PROMETHEUS_MULTIPROC_DIR": on_metrics}, args.workers) as on,
        granian(
            "tests.benchmark.review:create_without_review",
            {**env, "PROMETHEUS_MULTIPROC_DIR": off_metrics},
            args.workers,
        ) as off,
    ):
        host, port = on.removeprefix("http://").split(":")
        setup = await Connection(host, int(port)).open()
        incidents = []
        detect = msgspec.json.encode({"title": "bench", "severity": "sev2", "channel": "x"})
        for _ in range(200):
            r = await setup.request("POST", "/v1/incidents", detect, auth)
            assert r.status == 201, r.body
            incidents.append(r.json()["id"])
        await setup.close()

        def reply(c: int, i: int) -> Request:
            incident = incidents[(c * 7919 + i) % len(incidents)]
            return "POST", f"/v1/incidents/{incident}/replies", reply_request(i), auth

        for base in (on, off):
            await load(base, args.clients, 1, 2000, reply)  # warm-up
        totals = {"on": [0, 0.0], "off": [0, 0.0]}
        for _ in range(rounds):
            for mode, base in (("on", on), ("off", off)):
                figures = await load(base, args.clients, seconds, 500_000, reply)
                assert not figures["errors"], figures
                totals[mode][0] += figures["requests"]
                totals[mode][1] += figures["seconds"]
    per_second = {mode: count / elapsed for mode, (count, elapsed) in totals.items()}
    return {
        "rounds": rounds,
        "clients": args.clients,
        "per_second_review_on": round(per_second["on"], 1),
        "per_second_review_off": round(per_second["off"], 1),
        "ratio": per_second["on"] / per_second["off"],
    }


def review_request(i: int) -> bytes:
    """A draft for `POST /v1/replies/review`: the typical replies in turn, language detected."""
    return msgspec.json.encode({"text": _TEXTS[i % len(_TEXTS)], "channel": "x", "visibility": "public"})
