"""A single incident's read folds only what was appended since the fold held from the last read,
and reads exactly what a fold of the whole stream reads."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest

from ledger.domain import commands as c
from ledger.domain.errors import ActionNotAllowed, NotFound
from ledger.service.command_runner import Shell
from ledger.service.incident_reads import IncidentReader
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections.runner import registry
from schemas.events import Channel, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant

ROLES = ["incident_lead", "social_responder", "communications"]
PEOPLE = ["ayse", "mehmet"]


def _queries(pool) -> IncidentReader:
    policies = PolicyStore(pool)
    return IncidentReader(EventStore(pool), policies, registry(policies))


def _command(rng: random.Random, iid: uuid.UUID, detected: datetime, now: datetime) -> c.Command:
    # Some facts are recorded late, dated anywhere since the detection: out of occurred_at order.
    at = detected + (now - detected) * rng.random() if rng.random() < 0.3 else None
    role, person = rng.choice(ROLES), rng.choice(PEOPLE)
    common = {"incident_id": iid, "actor": "ayse", "occurred_at": at}
    kind = rng.choice(["ack", "assign", "unassign", "public", "public", "private", "severity", "resolve", "reopen"])
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
    if kind == "resolve":
        return c.Resolve(**common, summary="done")
    return c.Reopen(**common, reason="again")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_read_from_the_held_fold_is_the_read_of_the_whole_stream(pool, seed):
    rng = random.Random(seed)
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell, other = (
        Shell(EventStore(pool), PolicyStore(pool), clock.now),
        Shell(EventStore(pool), PolicyStore(pool), clock.now),
    )
    held = _queries(pool)
    iid, detected = uuid.uuid4(), clock.now() - timedelta(hours=3)
    await shell.execute(
        who,
        c.Detect(
            incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X, occurred_at=detected
        ),
    )
    reads = 0
    for _ in range(80):
        try:  # (from either of two processes: the read does not care who appended)
            await rng.choice([shell, other]).execute(who, _command(rng, iid, detected, clock.now()))
        except ActionNotAllowed:
            pass
        if rng.random() < 0.5:
            now = clock.now() + timedelta(minutes=rng.choice([0, 5, 90, 600]))
            assert await held.read(t.name, iid, now) == await _queries(pool).read(t.name, iid, now)
            reads += 1
    assert reads > 10
    final = await held.read(t.name, iid, clock.now())
    assert final.incident.version == held.folds.peek(t.name, iid).upto() > 20


async def test_a_second_read_reads_only_the_events_since(pool, monkeypatch):
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell, queries = Shell(EventStore(pool), PolicyStore(pool), clock.now), _queries(pool)
    iid = uuid.uuid4()
    await shell.execute(who, c.Detect(incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X))
    for n in range(5):
        await shell.execute(
            who, c.Reply(incident_id=iid, actor="a", channel=Channel.X, text=f"r{n}", visibility=Visibility.PUBLIC)
        )
    asked: list[int] = []
    read_stream = queries.store.read_stream

    async def recording(tenant, incident_id, after=0, **kwargs):
        asked.append(after)
        return await read_stream(tenant, incident_id, after, **kwargs)

    monkeypatch.setattr(queries.store, "read_stream", recording)
    first = await queries.read(t.name, iid, clock.now())
    await shell.execute(
        who, c.Reply(incident_id=iid, actor="a", channel=Channel.X, text="r5", visibility=Visibility.PUBLIC)
    )
    second = await queries.read(t.name, iid, clock.now())
    third = await queries.read(t.name, iid, clock.now())
    assert asked == [0, 6, 7]
    assert [len(r.statements or []) for r in (first, second, third)] == [5, 6, 6]
    assert second.incident.version == third.incident.version == 7


async def test_a_held_incident_is_still_another_tenants_404(pool):
    owner, stranger = await new_tenant(pool), await new_tenant(pool)
    shell, queries = Shell(EventStore(pool), PolicyStore(pool), clock.now), _queries(pool)
    iid = uuid.uuid4()
    who = Principal(owner.name, "write-key", Scope.WRITE)
    await shell.execute(who, c.Detect(incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X))
    await queries.read(owner.name, iid, clock.now())
    with pytest.raises(NotFound):
        await queries.read(stranger.name, iid, clock.now())
    with pytest.raises(NotFound):
        await queries.read(owner.name, uuid.uuid4(), clock.now())


async def test_a_list_page_extends_the_folds_held_and_reads_as_a_fresh_one(pool):
    from ledger.service.incident_reads import ListFilter
    from ledger.store import incidents as incident_queries

    rng = random.Random(5)
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell, held = Shell(EventStore(pool), PolicyStore(pool), clock.now), _queries(pool)
    detected = clock.now() - timedelta(hours=2)
    incidents = []
    for _ in range(6):
        iid = uuid.uuid4()
        incidents.append(iid)
        detect = c.Detect(
            incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X, occurred_at=detected
        )
        await shell.execute(who, detect)
    asked: list[list[int]] = []

    class Recording:  # (the pool, telling which versions a page asked for)
        def __getattr__(self, name):
            return getattr(pool, name)

        async def fetch(self, query, *args, **kwargs):
            if query == incident_queries.EVENTS_AFTER_HELD:
                asked.append(list(args[2]))
            return await pool.fetch(query, *args, **kwargs)

    held.store.pool = Recording()
    for round_ in range(4):
        for _ in range(12):
            try:
                await shell.execute(who, _command(rng, rng.choice(incidents), detected, clock.now()))
            except ActionNotAllowed:
                pass
        if round_ == 0:
            await held.read(t.name, incidents[0], clock.now())  # (one held from a single read)
        now = clock.now() + timedelta(minutes=rng.choice([0, 30, 300]))
        page, _ = await held.list(t.name, ListFilter(), None, 10, now)
        fresh, _ = await _queries(pool).list(t.name, ListFilter(), None, 10, now)
        assert page == fresh and len(page) == 6
        assert all(r.statements is None for r in page)
    # The first page read every stream whole but the one held from its read; later pages, each
    # incident's events after the version listed last.
    assert asked[0].count(0) == 5 and len(asked) == 4
    assert all(0 not in a for a in asked[1:])
