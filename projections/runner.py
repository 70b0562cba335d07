"""Running projections: per-tenant checkpoints, catch-up, rebuild, and the background loop.

A projection turns a batch of a tenant's events into read-model rows. Its checkpoint row is
locked for the batch and advanced in the same transaction as the rows it wrote, so each event is
applied exactly once, whichever process runs it. A new projection only needs a class here and a
table: its checkpoint starts at 0 and the runner backfills it; the write path is untouched.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Protocol

import asyncpg
import structlog

from ledger.policy_store import PolicyStore
from ledger.store import EVENT_COLUMNS, event_from_row
from projections.incident_view import assignee_spans, stored_row
from schemas.events import Event

log = structlog.get_logger(__name__)

BATCH = 500

ENSURE_CHECKPOINT = """
INSERT INTO projection_checkpoints (tenant_id, projection) VALUES ($1, $2)
ON CONFLICT (tenant_id, projection) DO NOTHING
"""
LOCK_CHECKPOINT = """
SELECT position FROM projection_checkpoints WHERE tenant_id = $1 AND projection = $2 FOR UPDATE
"""
TRY_LOCK_CHECKPOINT = LOCK_CHECKPOINT + " SKIP LOCKED"
SAVE_CHECKPOINT = """
UPDATE projection_checkpoints SET position = $3, updated_at = now()
 WHERE tenant_id = $1 AND projection = $2
"""
EVENTS_AFTER = f"""
SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3
"""
STREAM = f"""
SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND incident_id = $2 ORDER BY version
"""
TENANTS_BEHIND = """
SELECT t.id FROM tenants t
  LEFT JOIN projection_checkpoints c ON c.tenant_id = t.id AND c.projection = $1
 WHERE t.head_position > coalesce(c.position, 0)
"""
# A rebuild reads every stream once, whole and in order (the stream index serves it).
ALL_STREAMS = f"""
SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND incident_id IS NOT NULL ORDER BY incident_id, version
"""
ALL_TENANTS = "SELECT id FROM tenants ORDER BY id"
TENANT_HEAD = "SELECT head_position FROM tenants WHERE id = $1"
CHECKPOINTS = "SELECT projection, position FROM projection_checkpoints WHERE tenant_id = $1"

UPSERT_VIEW = """
INSERT INTO incident_views (
    tenant_id, incident_id, version, status, severity, scenario, channel, start_at, policy_version, as_of,
    ack_target, ack_status, ack_due_at, ack_met_at, ack_elapsed,
    first_target, first_status, first_due_at, first_met_at, first_elapsed,
    resolve_target, resolve_status, resolve_due_at, resolve_met_at, resolve_elapsed,
    update_target, update_status, update_next_due_at, update_gap_seconds, update_gap_breached,
    update_unanswered, required_roles, missing_roles, full_coverage_at, uncovered_seconds,
    missing_at_ack_due)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35::jsonb, $36)
ON CONFLICT (tenant_id, incident_id) DO UPDATE SET
    version = excluded.version, status = excluded.status, severity = excluded.severity,
    scenario = excluded.scenario, channel = excluded.channel, start_at = excluded.start_at,
    policy_version = excluded.policy_version, as_of = excluded.as_of,
    ack_target = excluded.ack_target, ack_status = excluded.ack_status, ack_due_at = excluded.ack_due_at,
    ack_met_at = excluded.ack_met_at, ack_elapsed = excluded.ack_elapsed,
    first_target = excluded.first_target, first_status = excluded.first_status,
    first_due_at = excluded.first_due_at, first_met_at = excluded.first_met_at,
    first_elapsed = excluded.first_elapsed,
    resolve_target = excluded.resolve_target, resolve_status = excluded.resolve_status,
    resolve_due_at = excluded.resolve_due_at, resolve_met_at = excluded.resolve_met_at,
    resolve_elapsed = excluded.resolve_elapsed,
    update_target = excluded.update_target, update_status = excluded.update_status,
    update_next_due_at = excluded.update_next_due_at, update_gap_seconds = excluded.update_gap_seconds,
    update_gap_breached = excluded.update_gap_breached, update_unanswered = excluded.update_unanswered,
    required_roles = excluded.required_roles, missing_roles = excluded.missing_roles,
    full_coverage_at = excluded.full_coverage_at, uncovered_seconds = excluded.uncovered_seconds,
    missing_at_ack_due = excluded.missing_at_ack_due
"""
DELETE_VIEWS = "DELETE FROM incident_views WHERE tenant_id = $1"
DELETE_SPANS_OF = "DELETE FROM assignee_spans WHERE tenant_id = $1 AND incident_id = $2"
DELETE_SPANS = "DELETE FROM assignee_spans WHERE tenant_id = $1"
SPAN_COLUMNS = ["tenant_id", "incident_id", "assignee", "seq", "start_at", "end_at"]
INSERT_VIEW = UPSERT_VIEW.split("ON CONFLICT")[0]
INSERT_SPAN = """
INSERT INTO assignee_spans (tenant_id, incident_id, assignee, seq, start_at, end_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""


class Projection(Protocol):
    name: str

    async def apply(self, conn: asyncpg.Connection, tenant: str, events: Sequence[Event]) -> None: ...

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None: ...

    async def insert(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Sequence[Event]]) -> None:
        """Write the rows of whole streams into the reset projection (a rebuild: no conflicts, one batch)."""


async def _streams(conn: asyncpg.Connection, tenant: str, events: Sequence[Event]) -> dict[uuid.UUID, list[Event]]:
    """The full streams of the incidents a batch touched: views are re-folded from all their events."""
    touched = dict.fromkeys(e.incident_id for e in events if e.incident_id is not None)
    return {
        iid: [event_from_row(r) for r in await conn.fetch(STREAM, tenant, iid)] for iid in touched if iid is not None
    }


class IncidentViews:
    """incident_views: each incident's SLA and coverage figures, for lists, filters and reports."""

    name = "incident_views"

    def __init__(self, policies: PolicyStore) -> None:
        self.policies = policies

    async def apply(self, conn: asyncpg.Connection, tenant: str, events: Sequence[Event]) -> None:
        rows = []
        for stream in (await _streams(conn, tenant, events)).values():
            version = getattr(stream[0].data, "policy_version", 0)
            policy = await self.policies.version(tenant, version, conn)
            rows.append(stored_row(tenant, stream, policy))
        if rows:
            await conn.executemany(UPSERT_VIEW, rows)

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(DELETE_VIEWS, tenant)

    async def insert(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Sequence[Event]]) -> None:
        rows = []
        for stream in streams:
            policy = await self.policies.version(tenant, getattr(stream[0].data, "policy_version", 0), conn)
            rows.append(stored_row(tenant, stream, policy))
        if rows:
            await conn.executemany(INSERT_VIEW, rows)


class AssigneeSpans:
    """assignee_spans: when each person held a role on an open incident (load per assignee)."""

    name = "assignee_spans"

    async def apply(self, conn: asyncpg.Connection, tenant: str, events: Sequence[Event]) -> None:
        for iid, stream in (await _streams(conn, tenant, events)).items():
            await conn.execute(DELETE_SPANS_OF, tenant, iid)
            spans = [(tenant, iid, *span) for span in assignee_spans(stream)]
            if spans:
                await conn.executemany(INSERT_SPAN, spans)

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(DELETE_SPANS, tenant)

    async def insert(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Sequence[Event]]) -> None:
        spans = [(tenant, s[0].incident_id, *span) for s in streams for span in assignee_spans(s)]
        if spans:
            await conn.copy_records_to_table("assignee_spans", records=spans, columns=SPAN_COLUMNS)


def registry(policies: PolicyStore) -> dict[str, Projection]:
    projections: list[Projection] = [IncidentViews(policies), AssigneeSpans()]
    return {p.name: p for p in projections}


async def _advance(conn: asyncpg.Connection, projection: Projection, tenant: str, position: int) -> int:
    """Apply batches after `position` inside the caller's transaction; return the new position."""
    while True:
        rows = await conn.fetch(EVENTS_AFTER, tenant, position, BATCH)
        if not rows:
            return position
        events = [event_from_row(r) for r in rows]
        await projection.apply(conn, tenant, events)
        position = events[-1].position
        if len(rows) < BATCH:
            return position


async def catch_up(pool: asyncpg.Pool, projection: Projection, tenant: str, *, wait: bool) -> int:
    """Bring one projection of one tenant up to date, one batch per transaction.

    `wait=True` (reads that must see a write just made) waits for a run in progress elsewhere;
    `wait=False` (the background loop) skips a tenant another process is already on.
    Returns how many events were applied.
    """
    applied = 0
    async with pool.acquire() as conn:
        await conn.execute(ENSURE_CHECKPOINT, tenant, projection.name)
        while True:
            async with conn.transaction():
                position = await conn.fetchval(
                    LOCK_CHECKPOINT if wait else TRY_LOCK_CHECKPOINT, tenant, projection.name
                )
                if position is None:
                    return applied  # another process holds it
                rows = await conn.fetch(EVENTS_AFTER, tenant, position, BATCH)
                if not rows:
                    return applied
                events = [event_from_row(r) for r in rows]
                await projection.apply(conn, tenant, events)
                await conn.execute(SAVE_CHECKPOINT, tenant, projection.name, events[-1].position)
                applied += len(events)
            if len(rows) < BATCH:
                return applied


async def catch_up_all(pool: asyncpg.Pool, projections: dict[str, Projection], tenant: str) -> None:
    for projection in projections.values():
        await catch_up(pool, projection, tenant, wait=True)


async def rebuild(pool: asyncpg.Pool, projection: Projection, tenant: str) -> int:
    """Recompute a tenant's rows of one projection from its events, in one transaction."""
    return await rebuild_together(pool, [projection], tenant)


async def rebuild_together(
    pool: asyncpg.Pool, projections: Sequence[Projection], tenant: str, streams_per_batch: int = 2000
) -> int:
    """Recompute a tenant's rows of several projections in one transaction, reading each stream once.

    Readers keep seeing the old rows until the commit; the incremental runner skips the tenant
    meanwhile (its checkpoint rows are locked), so the service keeps running throughout. Every
    event up to the head read first is in the rows written; one committed after it may be too,
    and is applied again by the catch-up: views are re-folded whole, so that changes nothing.
    """
    async with pool.acquire() as conn:
        for projection in projections:
            await conn.execute(ENSURE_CHECKPOINT, tenant, projection.name)
        async with conn.transaction():
            for projection in projections:
                await conn.fetchval(LOCK_CHECKPOINT, tenant, projection.name)
                await projection.reset(conn, tenant)
            head = await conn.fetchval(TENANT_HEAD, tenant) or 0
            batch: list[list[Event]] = []
            stream: list[Event] = []
            async for row in conn.cursor(ALL_STREAMS, tenant, prefetch=5000):
                event = event_from_row(row)
                if stream and event.incident_id != stream[0].incident_id:
                    batch.append(stream)
                    stream = []
                    if len(batch) >= streams_per_batch:
                        for projection in projections:
                            await projection.insert(conn, tenant, batch)
                        batch = []
                stream.append(event)
            if stream:
                batch.append(stream)
            for projection in projections:
                await projection.insert(conn, tenant, batch)
            position = head
            for projection in projections:
                # Anything committed since the head was read (applied again if already in the rows).
                position = await _advance(conn, projection, tenant, head)
                await conn.execute(SAVE_CHECKPOINT, tenant, projection.name, position)
    return position


async def rebuild_all(pool: asyncpg.Pool, projections: dict[str, Projection], names: Sequence[str]) -> dict[str, int]:
    tenants = [r["id"] for r in await pool.fetch(ALL_TENANTS)]
    done = dict.fromkeys(names, 0)
    for tenant in tenants:
        position = await rebuild_together(pool, [projections[name] for name in names], tenant)
        for name in names:
            done[name] += position
    for name in names:
        log.info("projection_rebuilt", projection=name, tenants=len(tenants))
    return done


async def run_forever(
    pool: asyncpg.Pool, projections: dict[str, Projection], wake: asyncio.Event, interval: float = 0.5
) -> None:
    """The background loop: catch up every tenant that is behind, for every projection."""
    while True:
        try:
            for projection in projections.values():
                for row in await pool.fetch(TENANTS_BEHIND, projection.name):
                    await catch_up(pool, projection, row["id"], wait=False)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the loop alive through database outages
            log.warning("projection_loop_error", error=type(exc).__name__, detail=str(exc)[:200])
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), timeout=interval)
        except TimeoutError:
            pass
