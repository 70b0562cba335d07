"""The shell's per-process cache of folded incidents: it saves a read, and it is never believed blindly.

Two `Shell`s on one database stand for two server processes, each with its own cache.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from ledger.commands import Acknowledge, Detect, Note, Reopen, Reply, Resolve
from ledger.errors import ActionNotAllowed, VersionConflict
from ledger.keys import Principal, Scope
from ledger.policy_store import PolicyStore
from ledger.rules import Incident, Status, fold
from ledger.shell import Done, Shell, States
from ledger.store import Conflict, EventStore
from schemas.events import Channel, NewEvent, Noted, Severity, Visibility
from tests.conftest import new_tenant


def _shell(pool: asyncpg.Pool) -> Shell:
    return Shell(EventStore(pool), PolicyStore(pool))


async def _setup(pool: asyncpg.Pool) -> tuple[Principal, Shell, Shell, uuid.UUID]:
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    one, two = _shell(pool), _shell(pool)
    cmd = Detect(incident_id=uuid.uuid4(), actor="ayse", title="t", severity=Severity.SEV2, channel=Channel.X)
    done = await one.execute(who, cmd)
    assert isinstance(done, Done)
    return who, one, two, done.incident.id


async def _stored(shell: Shell, who: Principal, incident: uuid.UUID):
    return fold(await shell.store.read_stream(who.tenant, incident))


async def _versions(pool: asyncpg.Pool, who: Principal, incident: uuid.UUID) -> list[int]:
    rows = await pool.fetch(
        "SELECT version FROM events WHERE tenant_id = $1 AND incident_id = $2 ORDER BY version", who.tenant, incident
    )
    return [r["version"] for r in rows]


async def test_cached_state_is_exactly_the_fold_of_the_stored_stream(pool):
    who, one, _, incident = await _setup(pool)
    plus_two = datetime.now(timezone(timedelta(hours=2))) + timedelta(seconds=1)
    commands = [
        Acknowledge(incident_id=incident, actor="ayse", occurred_at=plus_two),
        Reply(incident_id=incident, actor="ayse", channel=Channel.X, text="on it", visibility=Visibility.PUBLIC),
        Note(incident_id=incident, actor="ayse", text="n"),
        Resolve(incident_id=incident, actor="ayse", summary="done"),
        Reopen(incident_id=incident, actor="ayse", reason="again"),
    ]
    for cmd in commands:
        done = await one.execute(who, cmd)
        assert isinstance(done, Done)
        cached = one.states.get(who.tenant, incident)
        stored = await _stored(one, who, incident)
        assert cached == stored
        # Same spelling too, not only the same instant: responses are built from the cached state.
        assert repr(cached) == repr(stored)
        assert done.incident == stored


async def test_a_stale_cache_costs_a_reload_not_a_lost_or_doubled_write(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="warms two's cache"))
    await one.execute(who, Note(incident_id=incident, actor="a", text="moves past two's cache"))
    assert two.states.get(who.tenant, incident).version == 2  # stale: the stream is at 3
    reads = _count_reads(two)
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="decided again"))
    assert isinstance(done, Done)
    # The conflict brought what two had missed: it caught up without reading the stream.
    assert reads == []
    assert done.events[0].version == 4
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]
    assert two.states.get(who.tenant, incident) == await _stored(two, who, incident)


def _count_reads(shell: Shell) -> list[uuid.UUID]:
    reads: list[uuid.UUID] = []
    read_stream = shell.store.read_stream

    async def counting(tenant, incident_id, *args):  # type: ignore[no-untyped-def]
        reads.append(incident_id)
        return await read_stream(tenant, incident_id, *args)

    shell.store.read_stream = counting  # type: ignore[method-assign]
    return reads


async def test_a_conflict_says_exactly_what_the_caller_missed(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="x"))
    await one.execute(who, Acknowledge(incident_id=incident, actor="a"))
    await one.execute(who, Resolve(incident_id=incident, actor="a", summary="done"))
    stored = await one.store.read_stream(who.tenant, incident)
    conflict = await one.store.append(
        who.tenant, incident, 1, [NewEvent(data=Noted(text="late"), occurred_at=datetime.now(UTC), actor="a")],
        recorded_by="k",
    )  # fmt: skip
    assert conflict == Conflict(current_version=4)
    assert conflict.missed == tuple((e.version, e.occurred_at, e.data) for e in stored[1:])
    up_to_date = await one.store.append(
        who.tenant, incident, 4, [NewEvent(data=Noted(text="x"), occurred_at=datetime.now(UTC), actor="a")],
        recorded_by="k",
    )  # fmt: skip
    assert not isinstance(up_to_date, Conflict)


async def test_a_refusal_on_a_stale_cache_is_decided_again_on_the_stored_stream(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Resolve(incident_id=incident, actor="b", summary="fixed"))
    await one.execute(who, Reopen(incident_id=incident, actor="a", reason="it came back"))
    # Two's cache says resolved, where a note is refused; the stored stream says open again.
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="still here"))
    assert isinstance(done, Done)
    assert done.incident.status == "open"
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]


async def test_if_match_is_judged_against_the_stored_version_not_the_cached_one(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="x"))  # two caches version 2
    await one.execute(who, Note(incident_id=incident, actor="a", text="y"))  # stream at 3
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="z"), if_match=3)
    assert isinstance(done, Done) and done.events[0].version == 4
    with pytest.raises(VersionConflict):
        await one.execute(who, Note(incident_id=incident, actor="a", text="w"), if_match=3)
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]


async def test_a_refusal_that_the_stored_stream_confirms_is_refused_and_writes_nothing(pool):
    who, one, two, incident = await _setup(pool)
    await one.execute(who, Acknowledge(incident_id=incident, actor="a"))
    await two.execute(who, Note(incident_id=incident, actor="b", text="warm"))
    for shell in (one, two):  # one's cache is current, two's is current too: both refuse
        with pytest.raises(ActionNotAllowed):
            await shell.execute(who, Acknowledge(incident_id=incident, actor="c"))
    assert await _versions(pool, who, incident) == [1, 2, 3]


async def test_the_cache_is_bounded():
    states = States(size=3)
    t0 = datetime.now(UTC)
    made = [
        Incident(
            id=uuid.uuid4(),
            version=1,
            status=Status.OPEN,
            severity=Severity.SEV2,
            title="t",
            channel=Channel.X,
            scenario=None,
            dedup_key=None,
            policy_version=1,
            detected_at=t0,
        )
        for _ in range(5)
    ]
    for incident in made:
        states.put("t", incident)
    states.get("t", made[2].id)  # used: kept over the older ones
    states.put("t", made[0])
    assert states.get("t", made[1].id) is None
    assert states.get("t", made[3].id) is None
    assert [states.get("t", i.id) is not None for i in (made[0], made[2], made[4])] == [True, True, True]
