"""One process at a time runs the background rounds (projection runner, breach watch); another
takes over when it goes. Each `Leader` here stands for one server process."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg

from ledger.domain.commands import Detect
from ledger.service.command_runner import Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from ledger.workers import breach_watch, projection_loop
from ledger.workers.leader import Leader
from projections.fold_cache import FoldCache
from projections.runner import registry
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import new_tenant


async def _eventually(check, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_one_process_leads_and_another_takes_over_when_it_gives_up(database_url):
    one, two = Leader(database_url), Leader(database_url)
    try:
        assert await one.held()
        assert not await two.held()
        assert await one.held()  # (asked again: still the holder)
        assert not await two.held()
        await one.close()
        assert await two.held()
        assert not await one.held()  # (back, but the lead has gone to two)
    finally:
        await one.close()
        await two.close()


async def test_a_lead_whose_connection_dies_passes_to_another(database_url, pool):
    one, two = Leader(database_url), Leader(database_url)
    try:
        assert await one.held()
        assert one._conn is not None
        await pool.execute("SELECT pg_terminate_backend($1)", one._conn.get_server_pid())
        # PostgreSQL releases the lock with the session: the next to ask takes it.
        assert await _eventually(two.held)
        assert not await one.held()  # one reconnects and finds the lead taken
    finally:
        await one.close()
        await two.close()


async def test_without_a_url_every_process_leads():
    assert await Leader(None).held()


async def _tenant_with_overdue_incident(pool: asyncpg.Pool) -> tuple[str, uuid.UUID]:
    t = await new_tenant(pool, "lead")
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    incident = uuid.uuid4()
    detected = clock.now() - timedelta(hours=2)  # its acknowledgement is long overdue
    cmd = Detect(
        incident_id=incident, actor="a", occurred_at=detected, title="t", severity=Severity.SEV1, channel=Channel.X
    )
    await shell.execute(Principal(t.name, "write-key", Scope.WRITE), cmd)
    return t.name, incident


async def test_the_background_rounds_wait_while_another_process_leads(database_url, pool):
    tenant, _ = await _tenant_with_overdue_incident(pool)
    projections = registry(PolicyStore(pool))
    other, mine = Leader(database_url), Leader(database_url)
    assert await other.held()

    async def applied() -> bool:
        positions = await pool.fetch(
            "SELECT position FROM projection_checkpoints WHERE tenant_id = $1 AND position > 0", tenant
        )
        return len(positions) == len(projections)

    async def noticed() -> bool:
        return bool(await pool.fetchval("SELECT count(*) FROM sla_notices WHERE tenant_id = $1", tenant))

    tasks = [
        asyncio.create_task(projection_loop.run_forever(pool, projections, FoldCache(), 0.05, mine)),
        asyncio.create_task(
            breach_watch.run_forever(
                pool,
                EventStore(pool),
                projections["incident_views"],
                timedelta(minutes=5),
                0.05,
                mine,
                clock=clock.now,
                folds=None,
            )
        ),
    ]
    try:
        await asyncio.sleep(1)  # twenty rounds each
        assert not await applied()
        assert not await noticed()
        await other.close()  # the leading process goes: this one takes over within a round
        assert await _eventually(applied)
        assert await _eventually(noticed)
        assert await mine.held()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await mine.close()
        await other.close()
