"""Group commit: concurrent appends share round trips and commits, yet each has its own outcome."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest

from ledger.audit import chain
from ledger.domain.commands import Detect
from ledger.service.command_runner import Done, Shell
from ledger.store.appends import Appended, Conflict, StreamFacts
from ledger.store.events import EventStore
from ledger.store.group_commit import AppendCall, GroupCommit
from ledger.store.idempotency import Idempotency
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Detected, NewEvent, Noted, Severity
from tests import clock
from tests.conftest import new_tenant


class CountingPool:
    """The pool, counting the statements the batcher sends."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements = 0

    async def fetch(self, *args: Any) -> list[asyncpg.Record]:
        self.statements += 1
        return await self.pool.fetch(*args)

    async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
        self.statements += 1
        return await self.pool.fetchrow(*args)


async def _incidents(pool: asyncpg.Pool, tenants: int, per_tenant: int) -> list[tuple[str, uuid.UUID]]:
    made = []
    for _ in range(tenants):
        t = await new_tenant(pool, "gc")
        shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
        who = Principal(t.name, "write-key", Scope.WRITE)
        for _ in range(per_tenant):
            done = await shell.execute(
                who, Detect(incident_id=uuid.uuid4(), actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
            )
            assert isinstance(done, Done)
            made.append((t.name, done.incident.id))
    return made


def _note(text: str = "n") -> list[NewEvent]:
    return [NewEvent(data=Noted(text=text), occurred_at=clock.now(), actor="a")]


async def test_concurrent_appends_of_all_tenants_share_statements_and_each_lands_once_in_chain_order(pool):
    incidents = await _incidents(pool, tenants=3, per_tenant=4)
    store = EventStore(pool)
    counting = CountingPool(pool)
    store.group = GroupCommit(counting)  # type: ignore[arg-type]
    results = await asyncio.gather(*(store.append(t, iid, 1, _note(str(iid)), recorded_by="k") for t, iid in incidents))
    assert all(isinstance(r, Appended) for r in results)
    assert counting.statements == 1  # all twelve, of three tenants: they all came before it left
    for tenant in {t for t, _ in incidents}:
        rows = [r async for r in chain.rows_of(pool, tenant)]
        assert [r["position"] for r in rows] == list(range(1, 9))  # 4 detections, 4 notes, gapless
        checked, problem, _ = chain.check(rows, tenant)  # the chain a batch wrote verifies like any other
        assert (checked, problem) == (8, None)


async def test_a_batch_writes_every_argument_as_the_append_gave_it(pool):
    """Each value of a batched append arrives as it would alone: offsets and microseconds, text
    that needs escaping, bytes, the stream facts of a detection, NULLs."""
    [(tenant, iid)] = await _incidents(pool, tenants=1, per_tenant=1)
    store = EventStore(pool)
    counting = CountingPool(pool)
    store.group = GroupCommit(counting)  # type: ignore[arg-type]
    india = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=india)
    text = 'Ünïcødé "quoted" \\ back\nslash 🚀 </script>'
    new = uuid.uuid4()
    facts = StreamFacts(status="open", severity="sev1", scenario="outage", channel="x", dedup_key=None, detected_at=at)
    detect = [NewEvent(data=Detected(title=text, severity=Severity.SEV1, channel=Channel.X), occurred_at=at, actor="ä")]
    idem = Idempotency("key-ü", bytes(range(32)), 201)
    results = await asyncio.gather(
        store.append(tenant, iid, 1, _note("first"), recorded_by="k"),
        store.append(tenant, new, 0, detect, recorded_by="k ü", facts=facts),
        # (decided on the version the first makes: a later row of a batch sees what an earlier wrote)
        store.append(tenant, iid, 2, [NewEvent(data=Noted(text=text), occurred_at=at, actor="b")], recorded_by="k",
                     actor_verified=True, idempotency=idem),
    )  # fmt: skip
    assert counting.statements == 1  # all three in one batch
    for result in results:
        assert isinstance(result, Appended)
        [event] = result.events
        [stored] = await store.read_positions(tenant, event.position, event.position)
        assert stored == event  # what the append answered is what the table holds
    assert [r.events[0].actor_verified for r in results] == [False, False, True]  # type: ignore[union-attr]
    detected = await pool.fetchrow("SELECT * FROM incidents WHERE tenant_id = $1 AND id = $2", tenant, new)
    assert (detected["status"], detected["severity"], detected["scenario"], detected["channel"]) == (
        "open", "sev1", "outage", "x"
    )  # fmt: skip
    assert detected["detected_at"] == at and detected["dedup_key"] is None
    kept = await pool.fetchrow("SELECT * FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", tenant, idem.key)
    assert kept["request_hash"] == idem.request_hash and kept["status_code"] == 201
    rows = [r async for r in chain.rows_of(pool, tenant)]
    assert chain.check(rows, tenant)[:2] == (len(rows), None)


async def test_in_one_batch_a_conflict_is_only_that_appends_own(pool):
    [(tenant, iid)] = await _incidents(pool, tenants=1, per_tenant=1)
    store = EventStore(pool)
    counting = CountingPool(pool)
    store.group = GroupCommit(counting)  # type: ignore[arg-type]
    # Both decided on version 1: the first in the batch lands, the second sees version 2.
    first, second, third = await asyncio.gather(
        store.append(tenant, iid, 1, _note("a"), recorded_by="k"),
        store.append(tenant, iid, 1, _note("b"), recorded_by="k"),
        store.append(tenant, iid, 1, _note("c"), recorded_by="k"),
    )
    assert isinstance(first, Appended) and first.version == 2
    assert second == third == Conflict(current_version=2)
    assert counting.statements == 1  # all three in one statement, in the order they came
    assert first.events[0].data == Noted(text="a")


async def test_a_failing_append_fails_alone_and_its_batch_mates_land(pool):
    incidents = await _incidents(pool, tenants=1, per_tenant=3)
    store = EventStore(pool)
    group = GroupCommit(pool)
    tenant = incidents[0][0]

    def args(iid: uuid.UUID, data: str) -> AppendCall:
        now = clock.now()
        return AppendCall(tenant, iid, 1, [uuid.uuid4()], ["noted"], [now], [data], ["0" * 64], "a", False, "k",
                          None, None, 201, None, None, None, None, None, None)  # fmt: skip

    handed_on: list[str] = []
    outcomes = await asyncio.gather(
        group.append(args(incidents[0][1], '{"text": "first"}'), lambda row: handed_on.append(row["outcome"])),
        group.append(args(incidents[1][1], '{"text": "second"}'), lambda row: handed_on.append(row["outcome"])),
        group.append(args(incidents[2][1], "not json"), lambda row: handed_on.append(row["outcome"])),
        return_exceptions=True,
    )
    assert [o["outcome"] for o in outcomes[:2]] == ["appended", "appended"]  # type: ignore[index]
    assert isinstance(outcomes[2], asyncpg.InvalidTextRepresentationError)
    assert handed_on == ["appended", "appended"]  # (the refused one has no row to hand on)
    stored = await pool.fetch("SELECT data::text FROM events WHERE tenant_id = $1 AND type = 'noted'", tenant)
    assert sorted(r["data"] for r in stored) == ['{"text": "first"}', '{"text": "second"}']
    assert store.group is not group


async def test_a_batch_is_announced_before_any_of_its_callers_resumes(pool):
    """The live feed's followers hear of a batch's commits first, not behind its callers' responses."""
    incidents = await _incidents(pool, tenants=2, per_tenant=2)
    store = EventStore(pool)
    store.group = GroupCommit(pool)
    resumed: list[uuid.UUID] = []
    seen: list[tuple[list[int], list[uuid.UUID]]] = []
    store.on_append = lambda tenant, events: seen.append(([e.position for e in events or []], list(resumed)))

    async def append(tenant: str, iid: uuid.UUID) -> None:
        assert isinstance(await store.append(tenant, iid, 1, _note(), recorded_by="k"), Appended)
        resumed.append(iid)

    await asyncio.gather(*(append(t, iid) for t, iid in incidents))
    assert len(seen) == 4 and all(len(positions) == 1 for positions, _ in seen)
    assert all(not resumed_then for _, resumed_then in seen)  # (all four went in one batch)
    assert len(resumed) == 4


async def test_an_append_whose_caller_gave_up_after_its_batch_left_is_announced(pool):
    [(tenant, iid)] = await _incidents(pool, tenants=1, per_tenant=1)

    class Slow(CountingPool):
        async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
            await asyncio.sleep(0.2)
            return await self.pool.fetchrow(*args)

    store = EventStore(pool)
    store.group = GroupCommit(Slow(pool))  # type: ignore[arg-type]
    announced: list[int] = []
    store.on_append = lambda tenant, events: announced.extend(e.position for e in events or [])
    caller = asyncio.create_task(store.append(tenant, iid, 1, _note("stands"), recorded_by="k"))
    await asyncio.sleep(0.05)  # the batch is out
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0.5)
    stored = await pool.fetch("SELECT position FROM events WHERE tenant_id = $1 AND type = 'noted'", tenant)
    assert [r["position"] for r in stored] == announced == [2]


async def test_an_append_whose_caller_gave_up_before_its_batch_left_is_not_written(pool):
    incidents = await _incidents(pool, tenants=1, per_tenant=2)
    tenant = incidents[0][0]
    store = EventStore(pool)
    store.group = GroupCommit(pool)
    first = asyncio.create_task(store.append(tenant, incidents[0][1], 1, _note("sent"), recorded_by="k"))
    await asyncio.sleep(0)  # the first is on its way; the second waits for the next batch
    waiting = asyncio.create_task(store.append(tenant, incidents[1][1], 1, _note("abandoned"), recorded_by="k"))
    await asyncio.sleep(0)
    waiting.cancel()
    assert isinstance(await first, Appended)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0.2)
    texts = await pool.fetch("SELECT data->>'text' AS t FROM events WHERE tenant_id = $1 AND type = 'noted'", tenant)
    assert [r["t"] for r in texts] == ["sent"]


async def test_if_the_sender_is_cancelled_no_caller_is_left_waiting(pool):
    incidents = await _incidents(pool, tenants=1, per_tenant=2)
    tenant = incidents[0][0]

    class SlowPool(CountingPool):
        async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
            await asyncio.sleep(30)
            raise AssertionError("not reached")

        async def fetch(self, *args: Any) -> list[asyncpg.Record]:
            await asyncio.sleep(30)
            raise AssertionError("not reached")

    store = EventStore(pool)
    store.group = GroupCommit(SlowPool(pool))  # type: ignore[arg-type]
    callers = [asyncio.create_task(store.append(tenant, iid, 1, _note("x"), recorded_by="k")) for _, iid in incidents]
    await asyncio.sleep(0.05)
    (sender,) = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "GroupCommit._run"]
    sender.cancel()
    done, pending = await asyncio.wait(callers, timeout=2)
    assert not pending  # both answered at once, not after a timeout
    assert all(t.cancelled() for t in done)  # (the sender's cancellation, passed on)
    assert await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'noted'", tenant) == 0


async def test_a_batch_whose_outcome_is_unknown_is_not_sent_again(pool):
    """The connection drops after the batch committed: its appends must not be decided and written again."""
    incidents = await _incidents(pool, tenants=1, per_tenant=2)
    tenant = incidents[0][0]

    class LostAnswer(CountingPool):
        async def fetch(self, *args: Any) -> list[asyncpg.Record]:
            await self.pool.fetch(*args)  # committed...
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    from ledger.domain.commands import Note

    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    who = Principal(tenant, "write-key", Scope.WRITE)
    for _, iid in incidents:  # (the shell now knows both incidents: the two appends leave together)
        await shell.execute(who, Note(incident_id=iid, actor="a", text="warm"))
    shell.store.group = GroupCommit(LostAnswer(pool))  # type: ignore[arg-type]
    outcomes = await asyncio.gather(
        *(shell.execute(who, Note(incident_id=iid, actor="a", text="once")) for _, iid in incidents),
        return_exceptions=True,
    )
    assert all(isinstance(o, asyncpg.ConnectionDoesNotExistError) for o in outcomes)
    rows = await pool.fetch(
        "SELECT incident_id, count(*) AS n FROM events WHERE tenant_id = $1 AND type = 'noted' GROUP BY 1", tenant
    )
    assert sorted(r["n"] for r in rows) == [2, 2]  # the warm-up and the lost batch's one, not a third


async def test_two_processes_batches_of_many_tenants_never_deadlock(pool):
    """Batches of two processes, each over every tenant in shuffled order, over and over: each
    batch takes the tenants' head locks in one order, so none is refused and every append lands."""
    incidents = await _incidents(pool, tenants=5, per_tenant=2)
    refused: list[BaseException] = []

    class Watching(CountingPool):
        async def fetch(self, *args: Any) -> list[asyncpg.Record]:
            try:
                return await super().fetch(*args)
            except asyncpg.PostgresError as exc:  # (a deadlock is refused; its appends would go alone)
                refused.append(exc)
                raise

    processes = [EventStore(pool), EventStore(pool)]
    for store in processes:
        store.group = GroupCommit(Watching(pool))  # type: ignore[arg-type]
    versions = dict.fromkeys(incidents, 1)
    rng = random.Random(7)
    for _ in range(15):
        order = incidents[:]
        rng.shuffle(order)
        # Each incident gets one append per round, from one of the two processes at random.
        results = await asyncio.gather(
            *(rng.choice(processes).append(t, iid, versions[(t, iid)], _note(), recorded_by="k") for t, iid in order)
        )
        assert all(isinstance(r, Appended) for r in results), results
        for (t, iid), r in zip(order, results, strict=True):
            versions[(t, iid)] = r.version
    assert refused == []
    for tenant in {t for t, _ in incidents}:
        rows = [r async for r in chain.rows_of(pool, tenant)]
        assert len(rows) == 2 + 2 * 15
        assert chain.check(rows, tenant)[:2] == (len(rows), None)
