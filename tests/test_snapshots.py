"""Stored snapshots of incidents' folds: a read (and a read as of any instant) from the latest
snapshot is the read of the whole stream; a snapshot whose event changed, or of another fold code,
is ignored; a rebuild writes the very snapshots the runner wrote."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from ledger.domain import commands as c
from ledger.domain.errors import ActionNotAllowed, NotFound
from ledger.domain.rules import fold
from ledger.service.command_runner import Shell
from ledger.service.incident_reads import LATEST_STATEMENTS, IncidentRead, IncidentReader
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections import snapshots
from projections.fold_cache import FoldCache
from projections.incident_view import blocks
from projections.provenance import public_statements
from projections.rebuild import rebuild_together
from projections.runner import Projection, catch_up_all, registry
from schemas.events import Channel, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant

EVERY = 7  # a snapshot every 7 versions: many of them in a short history
ROLES = ["incident_lead", "social_responder", "communications"]


def _command(rng: random.Random, iid: uuid.UUID, detected: datetime) -> c.Command:
    # Some facts are recorded late, dated anywhere since the detection: out of occurred_at order.
    now = clock.now()
    at = detected + (now - detected) * rng.random() if rng.random() < 0.3 else None
    common: dict[str, Any] = {"incident_id": iid, "actor": "ayse", "occurred_at": at}
    role, person = rng.choice(ROLES), rng.choice(["ayse", "mehmet"])
    kind = rng.choice(["ack", "assign", "unassign", "public", "public", "public", "private", "severity", "resolve"])
    if kind == "ack":
        return c.Acknowledge(**common)
    if kind == "assign":
        return c.Assign(**common, role=role, assignee=person)
    if kind == "unassign":
        return c.Unassign(**common, role=role, assignee=person)
    if kind in ("public", "private"):
        visibility = Visibility.PUBLIC if kind == "public" else Visibility.PRIVATE
        return c.Reply(**common, channel=Channel.X, text=f"update {rng.random():.6f}", visibility=visibility)
    if kind == "severity":
        return c.ChangeSeverity(**common, severity=rng.choice([Severity.SEV1, Severity.SEV2, Severity.SEV3]))
    if rng.random() < 0.5:
        return c.Resolve(**common, summary="done")
    return c.Reopen(**common, reason="again")


class World:
    """A tenant, a shell writing to it, and the projections with snapshots every EVERY versions."""

    def __init__(self, pool: asyncpg.Pool, tenant: str) -> None:
        self.pool, self.tenant = pool, tenant
        self.who = Principal(tenant, "write-key", Scope.WRITE)
        self.policies = PolicyStore(pool)
        self.projections: dict[str, Projection] = registry(self.policies, snapshot_every=EVERY)
        self.folds = FoldCache()  # (the runner's and a reader's, as in a server process)
        self.shell = Shell(EventStore(pool), self.policies, clock.now, self.folds)

    def reader(self, folds: FoldCache | None = None) -> IncidentReader:
        """A reader; without `folds`, one whose cache is empty (it reads from the snapshots)."""
        return IncidentReader(EventStore(self.pool), self.policies, self.projections, folds or FoldCache())

    async def incident(self, rng: random.Random, commands: int, *, read_between: bool = False) -> uuid.UUID:
        iid, detected = uuid.uuid4(), clock.now() - timedelta(hours=3)
        detect = c.Detect(
            incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X, occurred_at=detected
        )
        await self.shell.execute(self.who, detect)
        shared = self.reader(self.folds)
        for n in range(commands):
            try:
                await self.shell.execute(self.who, _command(rng, iid, detected))
            except ActionNotAllowed:
                pass
            if read_between and rng.random() < 0.2:  # (a read takes the held fold past marks)
                await shared.read(self.tenant, iid, clock.now())
            if n % 13 == 0:
                await self.catch_up()
        await self.catch_up()
        return iid

    async def catch_up(self) -> None:
        await catch_up_all(self.pool, self.projections, self.tenant, self.folds)

    async def whole(self, iid: uuid.UUID, now: datetime, as_of: datetime | None = None) -> IncidentRead:
        """The read folded from the whole stream, independently of snapshots and caches."""
        events = await EventStore(self.pool).read_stream(self.tenant, iid)
        if as_of is not None:
            events = [e for e in events if e.recorded_at <= as_of]
        if not events:
            raise NotFound("not then")
        incident = fold(events)
        assert incident is not None
        said = public_statements(events)
        policy = await self.policies.version(self.tenant, incident.policy_version)
        return IncidentRead(incident, blocks(events, policy, now), said[-LATEST_STATEMENTS:], len(said))


async def _stored(pool: asyncpg.Pool, tenant: str) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT incident_id, version, hash, recorded_upto, fold_code, folds FROM incident_snapshots"
        " WHERE tenant_id = $1 ORDER BY incident_id, version",
        tenant,
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_reads_from_snapshots_are_the_reads_of_the_whole_stream(pool, seed, monkeypatch):
    rng = random.Random(seed)
    world = World(pool, (await new_tenant(pool)).name)
    iid = await world.incident(rng, 300)
    versions = [v for _, v, *_ in await _stored(pool, world.tenant)]
    events = await EventStore(pool).read_stream(world.tenant, iid)
    assert versions == list(range(EVERY, len(events) + 1, EVERY)) and len(versions) > 10

    asked: list[int] = []
    reader = world.reader()
    read_stream = reader.store.read_stream

    async def recording(tenant: str, incident_id: uuid.UUID, after: int = 0, **kwargs: Any) -> Any:
        asked.append(after)
        return await read_stream(tenant, incident_id, after, **kwargs)

    monkeypatch.setattr(reader.store, "read_stream", recording)
    for minutes in (0, 5, 90, 600):
        now = clock.now() + timedelta(minutes=minutes)
        assert await world.reader().read(world.tenant, iid, now) == await world.whole(iid, now)
    read = await reader.read(world.tenant, iid, clock.now())
    assert asked == [versions[-1]]  # (a cold read: only the events after the latest snapshot)
    assert read.statements_count is not None and read.statements_count > LATEST_STATEMENTS

    # As of every event's recording, just before it, and before the detection.
    instants = [e.recorded_at for e in events] + [e.recorded_at - timedelta(microseconds=1) for e in events]
    for as_of in [*rng.sample(instants, 60), events[0].recorded_at - timedelta(seconds=1)]:
        try:
            expected = await world.whole(iid, as_of, as_of)
        except NotFound:
            with pytest.raises(NotFound):
                await world.reader().read_as_of(world.tenant, iid, as_of)
            continue
        assert await world.reader().read_as_of(world.tenant, iid, as_of) == expected, as_of
    asked.clear()
    middle = events[len(events) // 2]
    await reader.read_as_of(world.tenant, iid, middle.recorded_at)
    assert asked == [(middle.version or 0) // EVERY * EVERY]  # (from the latest snapshot by then)


async def test_a_read_whose_held_fold_passed_marks_and_a_list_match_the_whole_stream(pool):
    rng = random.Random(11)
    world = World(pool, (await new_tenant(pool)).name)
    incidents = [await world.incident(rng, 60, read_between=True) for _ in range(3)]
    now = clock.now()
    shared = world.reader(world.folds)
    for iid in incidents:
        assert await shared.read(world.tenant, iid, now) == await world.whole(iid, now)
    from ledger.service.incident_reads import ListFilter

    for reader in (shared, world.reader()):  # (folds held, and none: from the snapshots)
        page, _ = await reader.list(world.tenant, ListFilter(), None, 10, now)
        wanted = {iid: await world.whole(iid, now) for iid in incidents}
        assert {r.incident.id: (r.incident, r.blocks) for r in page} == {
            i: (w.incident, w.blocks) for i, w in wanted.items()
        }


async def _tampered_world(pool: asyncpg.Pool) -> tuple[World, uuid.UUID, list[int]]:
    world = World(pool, (await new_tenant(pool)).name)
    iid = await world.incident(random.Random(5), 100)
    versions = [v for _, v, *_ in await _stored(pool, world.tenant)]
    assert len(versions) >= 4
    return world, iid, versions


async def _cold_read(world: World, iid: uuid.UUID, monkeypatch: Any) -> tuple[IncidentRead, list[int]]:
    asked: list[int] = []
    reader = world.reader()
    read_stream = reader.store.read_stream

    async def recording(tenant: str, incident_id: uuid.UUID, after: int = 0, **kwargs: Any) -> Any:
        asked.append(after)
        return await read_stream(tenant, incident_id, after, **kwargs)

    monkeypatch.setattr(reader.store, "read_stream", recording)
    return await reader.read(world.tenant, iid, clock.now()), asked


async def _put(pool: asyncpg.Pool, world: World, iid: uuid.UUID, version: int, sql: str, *args: Any) -> None:
    await pool.execute(
        f"UPDATE incident_snapshots SET {sql} WHERE tenant_id = $1 AND incident_id = $2 AND version = $3",
        world.tenant,
        iid,
        version,
        *args,
    )


async def test_a_snapshot_whose_event_does_not_have_its_hash_is_ignored(pool, monkeypatch):
    world, iid, versions = await _tampered_world(pool)
    last, earlier = versions[-1], versions[0]
    wrong = await pool.fetchval(
        "SELECT folds FROM incident_snapshots WHERE tenant_id = $1 AND incident_id = $2 AND version = $3",
        world.tenant,
        iid,
        earlier,
    )
    # The latest snapshot holds a wrong fold: read with its hash intact, the read is wrong (so the
    # read does use it, and the check below is what keeps it out) ...
    await _put(pool, world, iid, last, "folds = $4", wrong)
    read, asked = await _cold_read(world, iid, monkeypatch)
    assert asked == [last] and read != await world.whole(iid, clock.now())
    # ... and with a hash its event does not have (as if the event had been changed), it is ignored.
    await _put(pool, world, iid, last, "hash = $4", "0" * 64)
    read, asked = await _cold_read(world, iid, monkeypatch)
    assert asked == [versions[-2]] and read == await world.whole(iid, clock.now())
    # So is it for the write side, which decides on the state a snapshot holds.
    note = await world.shell.execute(world.who, c.Note(incident_id=iid, actor="a", text="on the stored state"))
    assert note.incident == (await world.whole(iid, clock.now())).incident


async def test_a_snapshot_of_another_fold_code_is_ignored_and_a_rebuild_replaces_it(pool, monkeypatch):
    world, iid, versions = await _tampered_world(pool)
    before = await _stored(pool, world.tenant)
    wrong = before[0][5]
    await _put(pool, world, iid, versions[-1], "folds = $4, fold_code = $5", wrong, snapshots.FOLD_CODE - 1)
    read, asked = await _cold_read(world, iid, monkeypatch)
    assert asked == [versions[-2]] and read == await world.whole(iid, clock.now())
    await rebuild_together(pool, [world.projections["incident_snapshots"]], world.tenant)
    assert await _stored(pool, world.tenant) == before


async def test_a_rebuild_writes_the_very_snapshots_the_runner_wrote(pool):
    rng = random.Random(21)
    world = World(pool, (await new_tenant(pool)).name)
    for _ in range(3):  # (reads move the fold the runner resumes from past marks it has not stored)
        await world.incident(rng, 50, read_between=True)
    incremental = await _stored(pool, world.tenant)
    assert len(incremental) > 10
    await rebuild_together(pool, list(world.projections.values()), world.tenant)
    assert await _stored(pool, world.tenant) == incremental


async def test_a_snapshot_is_stored_with_the_latest_recorded_at_of_its_events(pool):
    """recorded_upto (which an as_of read selects a snapshot by) is looked up as the snapshot is
    written: the latest recorded_at among the events up to its version, whether the runner or a
    rebuild wrote it."""
    rng = random.Random(5)
    world = World(pool, (await new_tenant(pool)).name)
    iid = await world.incident(rng, 120)
    events = await EventStore(pool).read_stream(world.tenant, iid)
    expected = [(v, max(e.recorded_at for e in events[:v])) for v in range(EVERY, len(events) + 1, EVERY)]
    stored = [(version, recorded) for i, version, _, recorded, *_ in await _stored(pool, world.tenant) if i == iid]
    assert stored == expected and len(expected) > 1
    await rebuild_together(pool, [world.projections["incident_snapshots"]], world.tenant)
    rebuilt = [(version, recorded) for i, version, _, recorded, *_ in await _stored(pool, world.tenant) if i == iid]
    assert rebuilt == expected


async def test_reads_between_the_runners_runs_carry_the_latest_statements(pool):
    """The runner moves the view fold a read left past the statements it left: the read extends
    them with none, a few (read from their index) or more than it carries (read afresh)."""
    rng = random.Random(8)
    world = World(pool, (await new_tenant(pool)).name)
    iid = await world.incident(rng, 5)
    shared = world.reader(world.folds)
    for burst in [0, 1, 3, 0, 25, 2, 0, 40, 1]:
        for n in range(burst):
            text = f"update {burst}-{n}"
            await world.shell.execute(
                world.who,
                c.Reply(incident_id=iid, actor="a", channel=Channel.X, text=text, visibility=Visibility.PUBLIC),
            )
        await world.shell.execute(world.who, c.Note(incident_id=iid, actor="a", text="note"))
        await world.catch_up()  # (the view moves on; the statements held stay where the read left them)
        now = clock.now()
        assert await shared.read(world.tenant, iid, now) == await world.whole(iid, now), burst
