"""The projection runner: several projections caught up from one read, checkpoints, locks, batches."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from ledger.domain import commands as c
from ledger.service.command_runner import Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from ledger.workers import projection_loop
from projections import rebuild, runner
from projections.fold_cache import FoldCache
from projections.rebuild import rebuild_together
from projections.runner import catch_up, registry
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import new_tenant

# The fold cache these runs share, as a server process's runner shares its app's.
FOLDS = FoldCache()


async def _tenant_with_incidents(pool: asyncpg.Pool, incidents: int, assigns: int) -> str:
    t = await new_tenant(pool, "run")
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    for _ in range(incidents):
        iid = uuid.uuid4()
        await shell.execute(
            who, c.Detect(incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
        )
        for k in range(assigns):
            await shell.execute(who, c.Assign(incident_id=iid, actor="a", role="social_responder", assignee=f"p{k}"))
    return t.name


async def _checkpoints(pool: asyncpg.Pool, tenant: str) -> dict[str, int]:
    rows = await pool.fetch("SELECT projection, position FROM projection_checkpoints WHERE tenant_id = $1", tenant)
    return {r["projection"]: r["position"] for r in rows}


async def _rows(pool: asyncpg.Pool, tenant: str) -> tuple[list, list]:
    views = await pool.fetch(
        "SELECT incident_id, version, status, missing_roles FROM incident_views WHERE tenant_id = $1"
        " ORDER BY incident_id",
        tenant,
    )
    spans = await pool.fetch(
        "SELECT incident_id, assignee, seq, start_at, end_at FROM assignee_spans WHERE tenant_id = $1"
        " ORDER BY incident_id, assignee, seq",
        tenant,
    )
    return [tuple(r) for r in views], [tuple(r) for r in spans]


async def test_a_first_run_creates_the_checkpoints_and_brings_every_projection_to_the_head(pool):
    tenant = await _tenant_with_incidents(pool, 3, 2)
    projections = list(registry(PolicyStore(pool)).values())
    assert await _checkpoints(pool, tenant) == {}
    applied = await catch_up(pool, projections, tenant, wait=False, folds=FOLDS)
    head = await pool.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant)
    assert applied == head == 9
    assert await _checkpoints(pool, tenant) == {"incident_views": 9, "assignee_spans": 9, "incident_snapshots": 9}
    views, spans = await _rows(pool, tenant)
    assert len(views) == 3 and len(spans) == 6
    assert await catch_up(pool, projections, tenant, wait=False, folds=FOLDS) == 0  # nothing left to do


async def test_projections_at_different_positions_are_caught_up_together_and_match_a_rebuild(pool):
    tenant = await _tenant_with_incidents(pool, 4, 2)
    projections = list(registry(PolicyStore(pool)).values())
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
    # The spans projection starts over (as a newly added projection would); the views stay where they are.
    await pool.execute("DELETE FROM assignee_spans WHERE tenant_id = $1", tenant)
    await pool.execute(
        "UPDATE projection_checkpoints SET position = 0 WHERE tenant_id = $1 AND projection = 'assignee_spans'", tenant
    )
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
    assert await _checkpoints(pool, tenant) == {"incident_views": 12, "assignee_spans": 12, "incident_snapshots": 12}
    incremental = await _rows(pool, tenant)
    assert len(incremental[1]) == 8
    await rebuild_together(pool, projections, tenant)
    assert await _rows(pool, tenant) == incremental


async def test_a_waiting_run_is_not_fooled_by_checkpoints_another_process_makes_meanwhile(pool):
    """A read that must see a write just made catches up with wait=True. When another process makes
    the tenant's first checkpoints after this run looked for them, this run must lock them and
    apply (it once returned at once, so a new tenant's first read could show nothing)."""
    tenant = await _tenant_with_incidents(pool, 3, 0)
    projections = list(registry(PolicyStore(pool)).values())
    names = sorted(p.name for p in projections)
    other = await pool.acquire()
    try:
        making = other.transaction()
        await making.start()
        await other.execute(runner.ENSURE_CHECKPOINTS, tenant, names)  # not yet committed: invisible

        async def commit_soon() -> None:
            await asyncio.sleep(0.3)  # the run below has looked (nothing) and now waits on the insert
            await making.commit()

        committing = asyncio.create_task(commit_soon())
        applied = await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
        await committing
    finally:
        await pool.release(other)
    assert applied == 3
    views, _ = await _rows(pool, tenant)
    assert len(views) == 3


async def test_the_background_run_leaves_out_a_projection_another_process_is_on(pool):
    tenant = await _tenant_with_incidents(pool, 2, 1)
    projections = list(registry(PolicyStore(pool)).values())
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
    await _tenant_more(pool, tenant)
    async with pool.acquire() as other:
        async with other.transaction():
            await other.execute(
                "SELECT 1 FROM projection_checkpoints WHERE tenant_id = $1 AND projection = 'assignee_spans'"
                " FOR UPDATE",
                tenant,
            )
            applied = await catch_up(pool, projections, tenant, wait=False, folds=FOLDS)
            assert applied == 1
            assert await _checkpoints(pool, tenant) == {
                "incident_views": 5,
                "assignee_spans": 4,
                "incident_snapshots": 5,
            }
    await catch_up(pool, projections, tenant, wait=False, folds=FOLDS)
    assert await _checkpoints(pool, tenant) == {"incident_views": 5, "assignee_spans": 5, "incident_snapshots": 5}


async def test_the_background_loop_catches_up_each_interval_without_being_asked(pool):
    tenant = await _tenant_with_incidents(pool, 2, 1)
    projections = registry(PolicyStore(pool))
    head = await pool.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant)

    async def reaches(position: int) -> bool:
        for _ in range(500):  # (10 s at most)
            if await _checkpoints(pool, tenant) == {
                "incident_views": position,
                "assignee_spans": position,
                "incident_snapshots": position,
            }:
                return True
            await asyncio.sleep(0.02)
        return False

    # A long interval: the first run at start, then nothing until the interval has passed.
    slow = asyncio.create_task(projection_loop.run_forever(pool, projections, FOLDS, interval=30))
    try:
        assert await reaches(head)
        await _tenant_more(pool, tenant)
        await asyncio.sleep(0.5)
        assert await _checkpoints(pool, tenant) == {
            "incident_views": head,
            "assignee_spans": head,
            "incident_snapshots": head,
        }
    finally:
        slow.cancel()
    # A short one applies the new event on its next run.
    fast = asyncio.create_task(projection_loop.run_forever(pool, projections, FOLDS, interval=0.05))
    try:
        assert await reaches(head + 1)
        await _tenant_more(pool, tenant)
        assert await reaches(head + 2)
    finally:
        fast.cancel()


async def _tenant_more(pool: asyncpg.Pool, tenant: str) -> None:
    who = Principal(tenant, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    await shell.execute(
        who, c.Detect(incident_id=uuid.uuid4(), actor="a", title="t", severity=Severity.SEV3, channel=Channel.X)
    )


async def test_more_events_than_a_batch_are_applied_in_several_transactions(pool, monkeypatch: pytest.MonkeyPatch):
    tenant = await _tenant_with_incidents(pool, 5, 3)
    monkeypatch.setattr(runner, "BATCH", 4)
    projections = list(registry(PolicyStore(pool)).values())
    assert await catch_up(pool, projections, tenant, wait=True, folds=FOLDS) == 20
    assert await _checkpoints(pool, tenant) == {"incident_views": 20, "assignee_spans": 20, "incident_snapshots": 20}
    views, spans = await _rows(pool, tenant)
    assert [v[1] for v in views] == [4] * 5  # every view folded to its stream's last version
    assert len(spans) == 15


async def test_only_the_spans_that_changed_are_rewritten(pool):
    tenant = await _tenant_with_incidents(pool, 3, 2)
    projections = list(registry(PolicyStore(pool)).values())
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)

    async def versions() -> dict[tuple, str]:
        # xmin: the transaction that wrote each row (a rewritten row gets a new one)
        rows = await pool.fetch(
            "SELECT incident_id, assignee, seq, xmin::text AS x FROM assignee_spans WHERE tenant_id = $1", tenant
        )
        return {(r["incident_id"], r["assignee"], r["seq"]): r["x"] for r in rows}

    first = await versions()
    incidents = sorted({key[0] for key in first})
    who = Principal(tenant, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    # A note changes no span; an assignment starts its assignee's; an unassignment ends its
    # assignee's. The other spans of the same incidents stay as they were.
    await shell.execute(who, c.Note(incident_id=incidents[0], actor="a", text="n"))
    await shell.execute(who, c.Assign(incident_id=incidents[1], actor="a", role="social_responder", assignee="new"))
    await shell.execute(who, c.Unassign(incident_id=incidents[2], actor="a", role="social_responder", assignee="p0"))
    assert await catch_up(pool, projections, tenant, wait=True, folds=FOLDS) == 3
    second = await versions()
    assert set(second) == {*first, (incidents[1], "new", 0)}
    assert {key for key, written in first.items() if second[key] != written} == {(incidents[2], "p0", 0)}
    ended = await pool.fetchval(
        "SELECT end_at FROM assignee_spans WHERE tenant_id = $1 AND incident_id = $2 AND assignee = 'p0'",
        tenant,
        incidents[2],
    )
    assert ended is not None
    assert await _load(pool, tenant) == await _load_from_spans(pool, tenant)
    incremental = await _rows(pool, tenant)
    await rebuild_together(pool, projections, tenant)
    assert await _rows(pool, tenant) == incremental


async def _load(pool: asyncpg.Pool, tenant: str) -> list[tuple]:
    rows = await pool.fetch(
        "SELECT assignee, incidents, peak FROM assignee_load WHERE tenant_id = $1 ORDER BY 1", tenant
    )
    return [tuple(r) for r in rows]


async def _load_from_spans(pool: asyncpg.Pool, tenant: str) -> list[tuple]:
    from projections.reports import ASSIGNEE_LOAD_ALL

    return [tuple(r) for r in await pool.fetch(ASSIGNEE_LOAD_ALL, tenant)]


async def test_assignee_load_follows_the_spans_through_changes_and_rebuilds(pool):
    t = await new_tenant(pool, "load")
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    projections = list(registry(PolicyStore(pool)).values())
    ids = []
    for _ in range(3):
        iid = uuid.uuid4()
        await shell.execute(
            who, c.Detect(incident_id=iid, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
        )
        ids.append(iid)
    for iid in ids:
        await shell.execute(who, c.Assign(incident_id=iid, actor="a", role="incident_lead", assignee="ayse"))
    await shell.execute(who, c.Assign(incident_id=ids[0], actor="a", role="social_responder", assignee="mehmet"))
    await catch_up(pool, projections, t.name, wait=True, folds=FOLDS)
    assert await _load(pool, t.name) == [("ayse", 3, 3), ("mehmet", 1, 1)]
    assert await _load(pool, t.name) == await _load_from_spans(pool, t.name)

    # mehmet lets go; ayse's first incident is resolved, reopened, and she is unassigned from another.
    await shell.execute(who, c.Unassign(incident_id=ids[0], actor="a", role="social_responder", assignee="mehmet"))
    await shell.execute(who, c.Resolve(incident_id=ids[0], actor="a", summary="done"))
    await shell.execute(who, c.Reopen(incident_id=ids[0], actor="a", reason="again"))
    await shell.execute(who, c.Unassign(incident_id=ids[1], actor="a", role="incident_lead", assignee="ayse"))
    await shell.execute(who, c.Assign(incident_id=ids[2], actor="a", role="social_responder", assignee="zeynep"))
    await catch_up(pool, projections, t.name, wait=True, folds=FOLDS)
    maintained = await _load(pool, t.name)
    assert maintained == await _load_from_spans(pool, t.name)
    assert [row[0] for row in maintained] == ["ayse", "mehmet", "zeynep"]  # mehmet's past span still counts
    await rebuild_together(pool, projections, t.name)
    assert await _load(pool, t.name) == maintained


async def _full_rows(pool: asyncpg.Pool, tenant: str) -> tuple[list, list, list]:
    views = await pool.fetch(
        f"SELECT {', '.join(runner.VIEW_COLUMNS)} FROM incident_views WHERE tenant_id = $1 ORDER BY incident_id",
        tenant,
    )
    _, spans = await _rows(pool, tenant)
    return [tuple(r) for r in views], spans, await _load(pool, tenant)


@pytest.mark.parametrize("connections", [1, 4])
async def test_a_rebuild_in_small_batches_on_one_or_two_connections_writes_what_the_runner_did(
    pool, database_url, monkeypatch: pytest.MonkeyPatch, connections
):
    """Reading and folding on one connection while the previous batch is written on another (or
    both in turn on a one-connection pool) leaves every row as the incremental runner left it."""
    from ledger.config import Settings
    from ledger.store.database import create_pool

    tenant = await _tenant_with_incidents(pool, 7, 2)
    projections = list(registry(PolicyStore(pool)).values())
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
    incremental = await _full_rows(pool, tenant)
    assert len(incremental[0]) == 7 and len(incremental[1]) == 14
    monkeypatch.setattr(rebuild, "READ_CHUNK", 4)  # chunks end mid-stream
    small = await create_pool(database_url, Settings(), min_size=1, max_size=connections)
    try:
        position = await rebuild_together(small, list(registry(PolicyStore(small)).values()), tenant, 2)
    finally:
        await small.close()
    assert position == 21
    assert await _full_rows(pool, tenant) == incremental


class _Failing:
    """A projection whose folding (or writing) fails halfway through a rebuild."""

    name = "incident_views"

    def __init__(self, inner: runner.IncidentViews, where: str) -> None:
        self.inner, self.where, self.batches = inner, where, 0

    async def reset(self, conn, tenant):
        await self.inner.reset(conn, tenant)

    async def prepare(self, conn, tenant):
        await self.inner.prepare(conn, tenant)

    async def finish(self, conn, tenant):
        await self.inner.finish(conn, tenant)

    async def records(self, conn, tenant, streams):
        self.batches += 1
        if self.where == "fold" and self.batches == 2:
            raise RuntimeError("fold failed")
        return await self.inner.records(conn, tenant, streams)

    async def write(self, conn, tenant, records):
        if self.where == "write" and self.batches == 2:
            raise RuntimeError("write failed")
        await self.inner.write(conn, tenant, records)


@pytest.mark.parametrize("connections", [1, 4])
@pytest.mark.parametrize("where", ["fold", "write"])
async def test_a_rebuild_that_fails_halfway_raises_and_leaves_the_rows_as_they_were(
    pool, database_url, where, connections
):
    from ledger.config import Settings
    from ledger.store.database import create_pool

    tenant = await _tenant_with_incidents(pool, 6, 1)
    projections = list(registry(PolicyStore(pool)).values())
    await catch_up(pool, projections, tenant, wait=True, folds=FOLDS)
    before = await _full_rows(pool, tenant)
    small = await create_pool(database_url, Settings(), min_size=1, max_size=connections)
    try:
        backends = {r[0] for r in [await small.fetchrow("SELECT pg_backend_pid()")]}
        failing = _Failing(runner.IncidentViews(PolicyStore(small)), where)
        with pytest.raises(RuntimeError, match=f"{where} failed"):
            await rebuild_together(small, [failing, runner.AssigneeSpans()], tenant, 2)
        assert failing.batches >= 2
        # every connection came back, whole (the first one is the same connection as before)
        assert small.get_size() - small.get_idle_size() == 0
        if connections == 1:
            assert await small.fetchval("SELECT pg_backend_pid()") in backends
    finally:
        await small.close()
    assert await _full_rows(pool, tenant) == before
    assert await _checkpoints(pool, tenant) == {"incident_views": 12, "assignee_spans": 12, "incident_snapshots": 12}


async def test_a_preloaded_tenant_answers_every_version_up_to_its_newest_without_asking(pool):
    """A rebuild folds with no connection to spare: after `preload`, a version up to the newest
    stored one is answered from memory, a missing one (rows deleted) as the table would answer."""
    import msgspec

    from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict

    t = await new_tenant(pool, "pre")
    custom = policy_to_dict(DEFAULT_POLICY)
    custom["severities"]["sev1"]["targets"]["acknowledge"] = {"seconds": 60}
    for version in (1, 3):  # (version 2's row deleted)
        await pool.execute(
            "INSERT INTO policies (tenant_id, version, document, position, changed_by, changed_at)"
            " VALUES ($1, $2::integer, $3::jsonb, $2::bigint, 'test', now())",
            t.name,
            version,
            msgspec.json.encode(custom).decode(),
        )
    store = PolicyStore(None)  # type: ignore[arg-type]  (any read through it would fail)
    async with pool.acquire() as conn:
        await store.preload(t.name, conn)
    assert (await store.version(t.name, 3)).severities["sev1"].targets["acknowledge"].seconds == 60
    assert await store.version(t.name, 2) is DEFAULT_POLICY
    assert await store.version(t.name, 0) is DEFAULT_POLICY
    with pytest.raises(AttributeError):  # beyond the newest preloaded: asks the (absent) pool
        await store.version(t.name, 4)


async def test_a_view_row_reaches_its_columns_as_it_was_built(pool):
    """The views travel as one JSON document a batch: every column, its NULLs, empty arrays,
    timestamps to the microsecond and text that needs escaping arrive as the ViewRow had them."""
    from datetime import UTC, datetime, timedelta

    import msgspec

    from projections.incident_view import ViewRow

    tenant = (await new_tenant(pool, "row")).name
    at = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=UTC)
    full = ViewRow(
        uuid.uuid4(), 7, "open", "sev1", 'a "quoted"\\ scenario: ünïcode ✓', "x", at, 3, at + timedelta(hours=2),
        900, "met", at + timedelta(minutes=15), at + timedelta(minutes=5), 300,
        3600, "breached", at + timedelta(hours=1), at + timedelta(hours=1, microseconds=1), 3600,
        86400, "pending", at + timedelta(days=1), None, None,
        14400, "pending", at + timedelta(hours=4), [3600, 7200], [False, True], 1,
        ["incident_lead", "legal"], ["legal"], None, {"incident_lead": 0, "legal": 7200}, ["legal"],
        9_000_000_000_000, 12_000, True,
    )  # fmt: skip
    sparse = msgspec.structs.replace(
        full, incident_id=uuid.uuid4(), scenario=None, ack_target=None, ack_status=None,
        ack_due_at=None, ack_met_at=None, ack_elapsed=None, update_gap_seconds=[], update_gap_breached=[],
        required_roles=[], missing_roles=[], full_coverage_at=at, uncovered_seconds={}, missing_at_ack_due=None,
        peak_reach=None, latest_reach=None, escalation_due=False,
    )  # fmt: skip
    async with pool.acquire() as conn:
        await runner.IncidentViews(PolicyStore(pool)).write(conn, tenant, [full, sparse])
        stored = await conn.fetch(
            f"SELECT {', '.join(runner.VIEW_COLUMNS)}, uncovered_seconds::text AS uncovered"
            " FROM incident_views WHERE tenant_id = $1",
            tenant,
        )
    by_id = {r["incident_id"]: r for r in stored}
    for row in (full, sparse):
        got = by_id[row.incident_id]
        assert got["tenant_id"] == tenant
        for field in ViewRow.__struct_fields__:
            expected = getattr(row, field)
            if field == "uncovered_seconds":
                assert msgspec.json.decode(got["uncovered"]) == expected
            else:
                assert got[field] == expected, field


def test_an_lru_bounded_by_weight_forgets_the_least_recent_until_it_fits() -> None:
    from ledger.lru import Lru

    lru: Lru[str, str] = Lru(10)
    lru.put("a", "A", weight=4)
    lru.put("b", "B", weight=4)
    assert lru.get("a") == "A"  # a used last: b is the least recent
    lru.put("c", "C", weight=4)
    assert (lru.peek("b"), lru.peek("a"), lru.peek("c"), lru.weight) == (None, "A", "C", 8)
    lru.put("a", "A2", weight=1)  # (held again: its old weight goes)
    assert (lru.peek("a"), lru.weight, len(lru)) == ("A2", 5, 2)
    lru.put("huge", "H", weight=11)  # heavier than the whole: not held, and the others stay
    assert (lru.peek("huge"), len(lru), lru.weight) == (None, 2, 5)
    lru.put("a", "A3", weight=11)  # (nor is a held entry kept in its old form)
    assert (lru.peek("a"), len(lru), lru.weight) == (None, 1, 4)
