"""A rebuild reads the streams as pages of JSON spelled by PostgreSQL (`projections.rebuild.STREAMS_PAGE`,
`ledger.store.events.FOLD_JSON`): they must decode to exactly the events the rows hold, whatever
the session's time zone and date style, and pages may end in the middle of a stream."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg

from ledger.domain import commands as c
from ledger.service.command_runner import Shell
from ledger.store.events import FOLD_COLUMNS, EventStore, stream_event_from_row, streams_from_page
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections.rebuild import STREAMS_PAGE
from schemas.events import Channel, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant

ROWS = f"""
SELECT {FOLD_COLUMNS} FROM events WHERE tenant_id = $1 AND incident_id IS NOT NULL ORDER BY incident_id, version
"""
AWKWARD = 'a "quoted" \\ back\\slash, a tab\there, a line\nbreak, ü, 🚨, </script> and {"type": "x"}'


async def _incidents(pool: asyncpg.Pool) -> str:
    t = await new_tenant(pool, "pages")
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    start = clock.now().replace(microsecond=0) - timedelta(hours=2)  # (a whole second: no fraction spelled)
    for n in range(3):
        iid = uuid.uuid4()
        at = start + timedelta(minutes=n, microseconds=n * 1001)
        await shell.execute(
            who, c.Detect(incident_id=iid, actor="a", title=AWKWARD, severity=Severity.SEV2, channel=Channel.X,
                          occurred_at=at, reach=10**n)
        )  # fmt: skip
        await shell.execute(who, c.Acknowledge(incident_id=iid, actor="a", occurred_at=at + timedelta(seconds=1)))
        await shell.execute(who, c.Note(incident_id=iid, actor="a", text=AWKWARD))
        await shell.execute(
            who, c.Reply(incident_id=iid, actor="a", channel=Channel.X, text="On it.", visibility=Visibility.PUBLIC)
        )
    return t.name


async def test_pages_of_streams_decode_to_the_events_of_the_rows_in_any_session_time_zone(pool):
    tenant = await _incidents(pool)
    async with pool.acquire() as conn:
        expected = [stream_event_from_row(r) for r in await conn.fetch(ROWS, tenant)]
        head = await conn.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant)
        async with conn.transaction():
            # A session that spells times its own way: the page must not depend on it.
            await conn.execute("SET LOCAL TimeZone = 'Pacific/Chatham'")
            await conn.execute("SET LOCAL DateStyle = 'SQL, DMY'")
            streams: list[list] = []
            after = (uuid.UUID(int=0), 0)
            while (page := streams_from_page(await conn.fetchval(STREAMS_PAGE, tenant, head, *after, 3))) != []:
                streams.extend(page)
                after = (page[-1][-1].incident_id, page[-1][-1].version)
    assert len(expected) == 12
    assert [e for s in streams for e in s] == expected
    # Each page holds 3 events: a stream of 4 ends in the next page (it comes back as two parts).
    assert [len(s) for s in streams] == [3, 1, 2, 2, 1, 3]
    for event in (e for s in streams for e in s):
        assert event.occurred_at.utcoffset() == timedelta(0)
    assert [e.data.text for e in expected if type(e.data).__name__ == "Noted"] == [AWKWARD] * 3
