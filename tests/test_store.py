"""Event store contract tests on real PostgreSQL: concurrency, idempotency, order, immutability, chain."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from ledger.audit import chain
from ledger.domain.commands import Acknowledge, Detect, Note
from ledger.domain.errors import IdempotencyKeyReused
from ledger.service.command_runner import Done, Shell
from ledger.service.idempotency import request_hash
from ledger.store.appends import Appended, Conflict
from ledger.store.events import EventStore
from ledger.store.idempotency import Idempotency, Replayed
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, NewEvent, Noted, Severity
from tests import clock
from tests.conftest import new_tenant


@pytest.fixture(scope="module")
def shell(pool: asyncpg.Pool) -> Shell:
    return Shell(EventStore(pool), PolicyStore(pool), clock.now)


async def _principal(pool: asyncpg.Pool) -> Principal:
    t = await new_tenant(pool)
    return Principal(t.name, "write-key", Scope.WRITE)


async def _detect(shell: Shell, who: Principal) -> uuid.UUID:
    cmd = Detect(incident_id=uuid.uuid4(), actor="ayse", title="t", severity=Severity.SEV2, channel=Channel.X)
    done = await shell.execute(who, cmd)
    assert isinstance(done, Done)
    return done.incident.id


def _note(incident_id: uuid.UUID, text: str = "n") -> Note:
    return Note(incident_id=incident_id, actor="ayse", text=text)


async def _rows(pool: asyncpg.Pool, tenant: str) -> list[asyncpg.Record]:
    return [r async for r in chain.rows_of(pool, tenant)]


async def test_twenty_racing_appends_on_one_incident_get_gapless_versions(pool, shell):
    who = await _principal(pool)
    incident = await _detect(shell, who)
    results = await asyncio.gather(*(shell.execute(who, _note(incident, f"n{i}")) for i in range(20)))
    versions = sorted(r.events[0].version for r in results)  # type: ignore[union-attr]
    assert versions == list(range(2, 22))
    rows = await _rows(pool, who.tenant)
    assert [r["position"] for r in rows] == list(range(1, 22))
    assert sorted(r["version"] for r in rows) == list(range(1, 22))
    texts = sorted(r["data"] for r in rows if r["type"] == "noted")
    assert len(set(texts)) == 20  # every write landed exactly once


async def test_racing_appends_on_many_incidents_get_gapless_positions(pool, shell):
    who = await _principal(pool)
    incidents = await asyncio.gather(*(_detect(shell, who) for _ in range(10)))
    await asyncio.gather(*(shell.execute(who, _note(i, f"{i}-{k}")) for i in incidents for k in range(5)))
    rows = await _rows(pool, who.tenant)
    assert [r["position"] for r in rows] == list(range(1, 61))
    for incident in incidents:
        assert [r["version"] for r in rows if r["incident_id"] == incident] == list(range(1, 7))


async def test_stale_expected_version_is_refused_and_writes_nothing(pool, shell):
    who = await _principal(pool)
    incident = await _detect(shell, who)
    store = shell.store
    now = clock.now()
    first = await store.append(
        who.tenant, incident, 1, [NewEvent(data=Noted(text="a"), occurred_at=now, actor="x")], recorded_by="k"
    )
    assert isinstance(first, Appended) and first.version == 2
    stale = await store.append(
        who.tenant, incident, 1, [NewEvent(data=Noted(text="b"), occurred_at=now, actor="x")], recorded_by="k"
    )
    assert stale == Conflict(current_version=2)
    head = await pool.fetchrow("SELECT head_position FROM tenants WHERE id = $1", who.tenant)
    assert head["head_position"] == 2
    assert len(await _rows(pool, who.tenant)) == 2


async def test_idempotency_key_replays_first_result_and_refuses_other_request(pool, shell):
    who = await _principal(pool)
    incident = await _detect(shell, who)
    key = Idempotency("retry-1", request_hash("POST", "/x", b'{"text":"a"}'), 201)
    first = await shell.execute(who, _note(incident, "a"), idempotency=key)
    again = await shell.execute(who, _note(incident, "a"), idempotency=key)
    assert isinstance(first, Done) and isinstance(again, Done)
    assert again.replayed and not first.replayed
    assert again.events == first.events
    assert len(await _rows(pool, who.tenant)) == 2
    other = Idempotency("retry-1", request_hash("POST", "/x", b'{"text":"b"}'), 201)
    with pytest.raises(IdempotencyKeyReused):
        await shell.execute(who, _note(incident, "b"), idempotency=other)
    assert len(await _rows(pool, who.tenant)) == 2


async def test_concurrent_requests_with_one_idempotency_key_append_once(pool, shell):
    who = await _principal(pool)
    incident = await _detect(shell, who)
    key = Idempotency("same", request_hash("POST", "/ack", b""), 201)
    results = await asyncio.gather(
        *(shell.execute(who, Acknowledge(incident_id=incident, actor="a"), idempotency=key) for _ in range(10))
    )
    ids = {r.events[0].id for r in results}  # type: ignore[union-attr]
    assert len(ids) == 1
    assert sum(1 for r in results if not r.replayed) == 1  # type: ignore[union-attr]
    assert len(await _rows(pool, who.tenant)) == 2


async def test_store_level_replay_under_the_lock(pool, shell):
    """The append function itself answers a repeated key (the race the pre-check cannot close)."""
    who = await _principal(pool)
    incident = await _detect(shell, who)
    now = clock.now()
    key = Idempotency("k", b"h" * 32, 201)
    new = [NewEvent(data=Noted(text="a"), occurred_at=now, actor="x")]
    first = await shell.store.append(who.tenant, incident, 1, new, recorded_by="k", idempotency=key)
    second = await shell.store.append(who.tenant, incident, 2, new, recorded_by="k", idempotency=key)
    assert isinstance(first, Appended)
    assert second == Replayed(incident, first.events[0].position, first.events[0].position, 201)


async def test_tailing_reader_never_skips_a_committed_event(pool, shell):
    who = await _principal(pool)
    incidents = await asyncio.gather(*(_detect(shell, who) for _ in range(8)))
    stop = asyncio.Event()
    seen: list[int] = []

    async def tail() -> None:
        last = 0
        while True:
            done = stop.is_set()
            rows = await pool.fetch(
                "SELECT position FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position",
                who.tenant,
                last,
            )
            for r in rows:
                # Anything visible after `last` must start right after it: a gap would mean a
                # reader could skip an event that commits later.
                assert r["position"] == last + 1, f"saw {r['position']} after {last}"
                last = r["position"]
                seen.append(last)
            if done:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(tail())
    await asyncio.gather(*(shell.execute(who, _note(i, f"{i}{k}")) for i in incidents for k in range(15)))
    stop.set()
    await reader
    assert seen[-8 - 120 :] == list(range(1, 8 + 120 + 1))[-8 - 120 :]
    assert seen == list(range(seen[0], 8 + 120 + 1))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'mallory' WHERE tenant_id = $1",
        "DELETE FROM events WHERE tenant_id = $1",
    ],
)
@pytest.mark.parametrize("replica", [False, True])
async def test_database_refuses_to_change_events(pool, shell, statement, replica):
    who = await _principal(pool)
    await _detect(shell, who)
    async with pool.acquire() as conn:
        async with conn.transaction():
            if replica:
                await conn.execute("SET LOCAL session_replication_role = replica")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute(statement, who.tenant)
    assert len(await _rows(pool, who.tenant)) == 1


@pytest.mark.parametrize("replica", [False, True])
async def test_database_refuses_truncate(pool, replica):
    async with pool.acquire() as conn:
        async with conn.transaction():
            if replica:
                await conn.execute("SET LOCAL session_replication_role = replica")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute("TRUNCATE events")


async def test_chain_verifies_and_breaks_when_a_row_is_altered_behind_the_ledger(pool, shell):
    who = await _principal(pool)
    incident = await _detect(shell, who)
    for k in range(4):
        await shell.execute(who, _note(incident, f"note {k}"))
    rows = await _rows(pool, who.tenant)
    checked, problem, (head_position, head_hash) = chain.check(rows, who.tenant)
    assert (checked, problem) == (5, None)
    assert rows[0]["prev_hash"] == "0" * 64
    stored_head = await pool.fetchrow("SELECT head_position, head_hash FROM tenants WHERE id = $1", who.tenant)
    assert (head_position, head_hash) == (stored_head["head_position"], stored_head["head_hash"])

    # A superuser edits a payload with the guard triggers switched off.
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_immutable_rows")
            await conn.execute(
                """UPDATE events SET data = jsonb_set(data, '{text}', '"we never said that"')
                    WHERE tenant_id = $1 AND position = 3""",
                who.tenant,
            )
            await conn.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_immutable_rows")
    checked, problem, _ = chain.check(await _rows(pool, who.tenant), who.tenant)
    assert checked == 2
    assert problem is not None and (problem.position, problem.kind) == (3, "changed")
