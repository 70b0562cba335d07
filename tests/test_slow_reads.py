"""Slow reads tell the truth and block nobody: a statement that PostgreSQL cancels for its
`statement_timeout` answers 503 `timeout` (not "the database is not reachable"), decoding a long
stream hands the event loop back as it goes, and /healthz answers while heavy reads run and while
every database connection is taken — it never touches the database."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from ledger.config import Settings
from ledger.domain.commands import Detect, Note
from ledger.http.app import create_app
from ledger.service.command_runner import Done, Shell
from ledger.store.database import create_pool
from ledger.store.events import DECODE_SLICE, EVENT_COLUMNS, EventStore, decode_rows
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import Tenant, new_tenant

NOTES = 1_500  # of 15 KB each, on one incident: 22 MB of stream


@pytest.fixture(scope="module")
async def large(pool: asyncpg.Pool) -> tuple[Tenant, uuid.UUID]:
    tenant = await new_tenant(pool, "slow")
    who = Principal(tenant.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    incident = uuid.uuid4()
    detect = Detect(incident_id=incident, actor="ayse", title="large", severity=Severity.SEV2, channel=Channel.X)
    assert isinstance(await shell.execute(who, detect), Done)
    for i in range(NOTES):
        text = f"{i} " + "lorem ipsum dolor " * 833
        assert isinstance(await shell.execute(who, Note(incident_id=incident, actor="ayse", text=text)), Done)
    return tenant, incident


def _as_of_url(incident: uuid.UUID) -> str:
    # (recorded_at is PostgreSQL's clock, which the tests do not shift: a read as of well after now)
    return f"/v1/incidents/{incident}?as_of={datetime.now(UTC).year + 5}-01-01T00:00:00Z"


async def test_a_statement_timeout_answers_503_timeout_not_unreachable(database_url, settings, large, app_client):
    tenant, incident = large
    # The post-incident review reads the whole stream in one statement (an incident read folds
    # from its latest snapshot, a page at a time: it may take no statement that long).
    slow_read = f"/v1/incidents/{incident}/review"
    assert (await app_client.get(slow_read, headers=tenant.auth("read"))).status_code == 200

    async def short_timeout(conn: asyncpg.Connection) -> None:
        await conn.execute("SET statement_timeout = '20ms'")  # (reading 22 MB takes longer)

    slow = await create_pool(database_url, settings, setup=short_timeout)
    try:
        app = create_app(Settings(**{**settings.__dict__, "migrate_on_start": False}), pool=slow, clock=clock.now)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
                r = await client.get(slow_read, headers=tenant.auth("read"))
    finally:
        # (terminated, not closed: a graceful close waits on each connection's goodbye, which on a
        # loaded machine once outlasted asyncpg's own close timeout after the cancelled statement)
        slow.terminate()
    assert r.status_code == 503, r.text
    problem = r.json()
    assert problem["type"].endswith(":timeout") and "took too long" in problem["detail"]
    assert "not reachable" not in r.text
    assert r.headers["retry-after"] == "1"


async def _healthz_while(client: httpx.AsyncClient, busy: asyncio.Future) -> list[float]:
    """Seconds each /healthz took, asked every 20 ms until `busy` is done."""
    took = []
    while not busy.done():
        started = time.perf_counter()
        r = await client.get("/healthz")
        took.append(time.perf_counter() - started)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        await asyncio.sleep(0.02)
    return took


async def test_healthz_answers_while_heavy_reads_run(app_client, large):
    tenant, incident = large
    reads = asyncio.gather(
        *(app_client.get(_as_of_url(incident), headers=tenant.auth("read")) for _ in range(4)),
        *(app_client.get("/v1/events?after=0&limit=1000", headers=tenant.auth("read")) for _ in range(2)),
    )
    took = await _healthz_while(app_client, reads)
    assert all(r.status_code == 200 for r in await reads)
    assert len(took) >= 2 and max(took) < 0.5, took


async def test_healthz_needs_no_database_connection_and_readyz_gives_up_quickly(app_client, pool, settings):
    taken = [await pool.acquire() for _ in range(settings.pool_max)]
    try:
        started = time.perf_counter()
        assert (await app_client.get("/healthz")).status_code == 200
        assert time.perf_counter() - started < 0.5
        started = time.perf_counter()
        r = await app_client.get("/readyz")
        assert r.status_code == 503 and time.perf_counter() - started < 4
    finally:
        for conn in taken:
            await pool.release(conn)
    assert (await app_client.get("/readyz")).status_code == 200


async def test_decoding_a_long_stream_lets_other_tasks_run_as_it_goes(pool, large):
    tenant, incident = large
    rows = await pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND incident_id = $2 ORDER BY version",
        tenant.name,
        incident,
    )
    assert len(rows) > 2 * DECODE_SLICE
    order: list[str] = []

    async def decode() -> None:
        events = await decode_rows(list(rows))
        assert [e.version for e in events] == list(range(1, len(rows) + 1))
        order.append("decoded")

    async def other() -> None:
        order.append("other task")

    await asyncio.gather(decode(), other())
    assert order == ["other task", "decoded"]  # (started after the decode, it ran before its end)
