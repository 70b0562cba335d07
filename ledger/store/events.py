"""The event store: append with optimistic concurrency and idempotency, read streams and the feed.

The events' SQL is here, as named constants (the append's own, with group commit:
ledger/store/group_commit.py; what an append sends and answers: ledger/store/appends.py); driver
errors become the ledger's own errors here too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg
import msgspec

from ledger import metrics
from ledger.domain.errors import ActionNotAllowed
from ledger.store.appends import (
    Appended,
    AppendResult,
    StreamFacts,
    append_call,
    appended_events,
    outcome,
)
from ledger.store.group_commit import APPEND, GroupCommit
from ledger.store.idempotency import Idempotency
from schemas.events import DATA_DECODERS, Event, EventData, NewEvent

EVENT_COLUMNS = (
    "tenant_id, position, id, incident_id, version, type, occurred_at, recorded_at, actor, "
    "recorded_by, data::text AS data, prev_hash, hash, actor_verified"
)

# What the projections fold: no chain, no recorder (a rebuild reads every event of a tenant).
FOLD_COLUMNS = "id, incident_id, version, type, occurred_at, data::text AS data"


def streams_after(columns: str) -> str:
    """SQL: the events of tenant $1's incidents in $2, each one's after the version at the same
    place in $3 (0: all of them), in version order; one index range per incident."""
    return f"""
SELECT x.* FROM unnest($2::uuid[], $3::integer[]) AS t(wanted, after_version)
 CROSS JOIN LATERAL (
    SELECT {columns} FROM events
     WHERE tenant_id = $1 AND incident_id = t.wanted AND version > t.after_version
     ORDER BY version) AS x
"""


READ_STREAM = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id = $2 AND version > $3
 ORDER BY version
 LIMIT $4
"""

# The same, of the events recorded by $5 (a read as of then).
READ_STREAM_RECORDED_BY = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id = $2 AND version > $3 AND recorded_at <= $5
 ORDER BY version
 LIMIT $4
"""

READ_FEED = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position > $2
 ORDER BY position
 LIMIT $3
"""

# The feed's next page bounded by bytes as well as by count: the events after position $2, at most
# $3 of them, while their running size stays within $4 (the first one whatever its size). A row's
# size is its data as text plus $5 for the rest of what it renders to (ids, hashes, times, names).
# `scanned`: how many rows the count allowed, so the caller knows whether more are waiting.
READ_FEED_PAGE = f"""
SELECT {EVENT_COLUMNS}, scanned FROM (
    SELECT e.*,
           sum(octet_length(e.data::text) + $5) OVER w AS upto,
           row_number() OVER w AS n,
           count(*) OVER () AS scanned
      FROM (SELECT * FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3) AS e
    WINDOW w AS (ORDER BY e.position ROWS UNBOUNDED PRECEDING)
) AS page
 WHERE upto <= $4 OR n = 1
 ORDER BY position
"""

READ_POSITIONS = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND position BETWEEN $2 AND $3
 ORDER BY position
"""


def event_from_row(row: asyncpg.Record) -> Event:
    """Decode one `events` row (selected with EVENT_COLUMNS)."""
    return Event(
        id=row["id"],
        tenant_id=row["tenant_id"],
        incident_id=row["incident_id"],
        version=row["version"],
        position=row["position"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        recorded_by=row["recorded_by"],
        data=DATA_DECODERS[row["type"]].decode(row["data"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        actor_verified=row["actor_verified"],
    )


# Decoding a long stream (tens of thousands of events) is one long stretch of pure CPU: it hands the
# event loop back every DECODE_SLICE rows, so that other requests (and /healthz) are answered
# meanwhile instead of after it.
DECODE_SLICE = 500


async def decode_rows(rows: list[asyncpg.Record]) -> list[Event]:
    """`event_from_row` of every row, yielding to the event loop between slices of a long list."""
    out: list[Event] = []
    for start in range(0, len(rows), DECODE_SLICE):
        if start:
            await asyncio.sleep(0)
        out.extend(event_from_row(r) for r in rows[start : start + DECODE_SLICE])
    return out


class StreamEvent(msgspec.Struct, frozen=True):
    """An event of an incident's stream as the projections fold it (selected with FOLD_COLUMNS)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    version: int
    occurred_at: datetime
    data: EventData


def stream_event_from_row(row: asyncpg.Record) -> StreamEvent:
    id_, incident_id, version, type_, occurred_at, data = row
    return StreamEvent(id_, incident_id, version, occurred_at, DATA_DECODERS[type_].decode(data))


class EventStore:
    """Tenant-scoped reads and writes of events. Every method takes the tenant explicitly."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.group = GroupCommit(pool)
        # Told the tenant and its events after each committed append (see ledger.feed.notifier).
        self.on_append: Callable[[str, list[Event] | None], None] | None = None

    def committed(self, tenant: str, events: list[Event] | None = None) -> None:
        """`events` of `tenant` (None: some events) are committed: tell whoever follows them."""
        if self.on_append is not None:
            self.on_append(tenant, events)

    async def append(
        self,
        tenant: str,
        incident_id: uuid.UUID | None,
        expected_version: int,
        new_events: Sequence[NewEvent],
        *,
        recorded_by: str,
        actor_verified: bool = False,
        idempotency: Idempotency | None = None,
        facts: StreamFacts | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> AppendResult:
        """Append `new_events` in one round trip; see `ledger_append` for the outcomes.
        `actor_verified`: the actor is the person of the personal key writing (chained with the
        events); never assumed, so a writer that does not say so records a claimed actor."""
        call = append_call(
            tenant, incident_id, expected_version, new_events, recorded_by, actor_verified, idempotency, facts
        )
        announced: list[Event] = []

        def announce(row: asyncpg.Record) -> None:
            if row["outcome"] == "appended":
                announced.extend(appended_events(call, new_events, row))
                self.committed(tenant, announced)

        started = time.perf_counter()
        try:
            if conn is not None:
                row = await conn.fetchrow(APPEND, *call)
            elif len(new_events) == 1 and (facts is None or facts.dedup_key is None):
                # (a dedup key can fail the statement on the unique index: those go alone)
                row = await self.group.append(call, announce)
            else:
                row = await self.pool.fetchrow(APPEND, *call)
                announce(row)
        except asyncpg.UniqueViolationError as exc:
            metrics.append_seconds("refused").observe(time.perf_counter() - started)
            if "incidents_open_dedup" in str(exc):
                raise ActionNotAllowed(
                    "another open incident already carries this dedup_key", field="dedup_key"
                ) from exc
            raise
        assert row is not None
        metrics.append_seconds(row["outcome"]).observe(time.perf_counter() - started)
        if row["outcome"] == "appended":
            for t in call.types:
                metrics.events_appended(t).inc()
            # (in a caller's transaction it is not committed yet: the caller says when)
            return Appended(announced or appended_events(call, new_events, row), row["version"], row["status_code"])
        return outcome(row, tenant, incident_id)

    async def read_stream(
        self,
        tenant: str,
        incident_id: uuid.UUID,
        after: int = 0,
        limit: int = 1_000_000,
        conn: asyncpg.Connection | None = None,
        *,
        recorded_by: datetime | None = None,
    ) -> list[Event]:
        """The incident's events after version `after` (with `recorded_by`: only those recorded by
        then); on `conn` (inside its transaction) if given."""
        db = conn or self.pool
        if recorded_by is None:
            rows = await db.fetch(READ_STREAM, tenant, incident_id, after, limit)
        else:
            rows = await db.fetch(READ_STREAM_RECORDED_BY, tenant, incident_id, after, limit, recorded_by)
        return await decode_rows(rows)

    async def read_feed(self, tenant: str, after: int, limit: int) -> list[Event]:
        rows = await self.pool.fetch(READ_FEED, tenant, after, limit)
        return [event_from_row(r) for r in rows]

    async def read_feed_page(
        self, tenant: str, after: int, limit: int, max_bytes: int, overhead: int
    ) -> tuple[list[Event], bool]:
        """The feed after `after`: at most `limit` events and, past the first, at most `max_bytes`
        (each event counted as its data's size plus `overhead`); and whether more are waiting."""
        rows = await self.pool.fetch(READ_FEED_PAGE, tenant, after, limit, max_bytes, overhead)
        more = bool(rows) and (rows[0]["scanned"] == limit or rows[0]["scanned"] > len(rows))
        return [event_from_row(r) for r in rows], more

    async def read_positions(self, tenant: str, first: int, last: int) -> list[Event]:
        rows = await self.pool.fetch(READ_POSITIONS, tenant, first, last)
        return [event_from_row(r) for r in rows]
