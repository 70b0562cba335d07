"""One very long incident read cold: what a `GET /v1/incidents/{id}` and an `?as_of=` read cost.

Not a timed test: a script that prints figures for docs/performance.md ("One long incident").

    .venv/bin/python -m tests.benchmark.big_incident [--events 40000] [--text 15000]

It starts an embedded PostgreSQL, appends an incident of `--events` events through the store's
append in batches (one public reply in six, the rest notes, each `--text` characters of words),
brings the projections up to date, and then, each on an app of its own (so its fold cache is
empty: the first read after a restart, or of an incident the cache let go), times a read and an
`as_of` read of the middle of the incident, and measures each one's peak of Python allocations
with tracemalloc in a second run (tracemalloc slows what it traces: the times are taken without it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.domain import commands as c
from ledger.http.app import create_app
from ledger.logs import configure
from ledger.service.command_runner import Shell
from ledger.store.database import create_pool
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope, create_key
from ledger.store.policies import PolicyStore
from projections.fold_cache import FoldCache
from projections.runner import catch_up_all, registry
from schemas.events import Channel, NewEvent, Noted, Replied, Severity, Visibility
from tests import clock, pg

WORDS = "we are looking into the reports about the charger and will update this thread soon".split()
BATCH = 200  # events per append


def _text(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:size]


async def build(pool: asyncpg.Pool, tenant: str, events: int, size: int) -> tuple[uuid.UUID, Any]:
    """The incident, and the recorded_at of its middle event."""
    rng = random.Random(7)
    store, who = EventStore(pool), Principal(tenant, "loader", Scope.WRITE)
    shell = Shell(store, PolicyStore(pool), clock.now)
    iid = uuid.uuid4()
    detect = c.Detect(incident_id=iid, actor="a", title="long", severity=Severity.SEV2, channel=Channel.X)
    await shell.execute(who, detect)
    version = 1
    while version < events:
        batch = []
        for n in range(min(BATCH, events - version)):
            text = _text(rng, size)
            if (version + n) % 6 == 0:
                sha = hashlib.sha256(text.encode()).hexdigest()
                data: Any = Replied(channel=Channel.X, text=text, visibility=Visibility.PUBLIC, text_sha256=sha)
            else:
                data = Noted(text=text)
            batch.append(NewEvent(data=data, occurred_at=clock.now(), actor="loader"))
        await store.append(tenant, iid, version, batch, recorded_by="loader")
        version += len(batch)
    middle = await pool.fetchval(
        "SELECT recorded_at FROM events WHERE tenant_id = $1 AND incident_id = $2 AND version = $3",
        tenant,
        iid,
        events // 2,
    )
    return iid, middle


async def measure(settings: Settings, pool: asyncpg.Pool, call: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """`call` on an app of its own (an empty fold cache)."""
    app = create_app(settings, pool=pool, clock=clock.now)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test", timeout=600) as client:
            return await call(client)


async def run(args: argparse.Namespace) -> None:
    configure("console", "warning")
    settings = Settings(
        pool_min=1,
        pool_max=8,
        log_format="console",
        log_level="warning",
        breach_watch_interval_s=3600,
        projection_interval_s=3600,
        statement_timeout_ms=600_000,
        request_timeout_s=600,
    )
    with pg.embedded_server() as server:
        url = await pg.create_database(server)
        pool = await create_pool(url, settings)
        try:
            tenant = f"big-{uuid.uuid4().hex[:6]}"
            async with pool.acquire() as conn:
                key = await create_key(conn, tenant, "reader", Scope.READ)
            started = time.perf_counter()
            iid, middle = await build(pool, tenant, args.events, args.text)
            print(f"built {args.events:,} events in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            await catch_up_all(pool, registry(PolicyStore(pool)), tenant, FoldCache())
            print(f"projections caught up in {time.perf_counter() - started:.1f} s")
            await _snapshot_sizes(pool, tenant)
            auth = {"Authorization": f"Bearer {key}"}
            as_of = middle.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            reads = {
                "GET /v1/incidents/{id}": f"/v1/incidents/{iid}",
                "GET /v1/incidents/{id}?as_of=<middle>": f"/v1/incidents/{iid}?as_of={as_of}",
            }
            print("| read (cold fold cache) | time s | peak MB (tracemalloc) | body KB |")
            print("|---|---|---|---|")
            for name, path in reads.items():
                await _one(settings, pool, name, path, auth)
        finally:
            await pool.close()


async def _snapshot_sizes(pool: asyncpg.Pool, tenant: str) -> None:
    try:
        row = await pool.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(pg_column_size(folds)), 0) AS stored, max(length(folds)) AS largest"
            " FROM incident_snapshots WHERE tenant_id = $1",
            tenant,
        )
    except asyncpg.UndefinedTableError:
        return  # (a version without snapshots)
    print(f"snapshots: {row['n']}, {row['stored'] / 2**20:.1f} MB stored, the largest {row['largest'] / 1024:.0f} KB")


async def _one(settings: Settings, pool: asyncpg.Pool, name: str, path: str, auth: dict[str, str]) -> None:
    async def timed(client: httpx.AsyncClient) -> tuple[float, int]:
        started = time.perf_counter()
        r = await client.get(path, headers=auth)
        assert r.status_code == 200, r.text[:300]
        return time.perf_counter() - started, len(r.content)

    async def traced(client: httpx.AsyncClient) -> int:
        tracemalloc.start()
        try:
            r = await client.get(path, headers=auth)
            assert r.status_code == 200
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    seconds, size = await measure(settings, pool, timed)
    peak = await measure(replace(settings), pool, traced)
    print(f"| {name} | {seconds:.3f} | {peak / 2**20:.1f} | {size / 1024:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--text", type=int, default=15_000, help="characters per note and reply")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
