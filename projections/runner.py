"""Running projections: per-tenant checkpoints and catch-up.
(Their background loop: ledger.workers.projection_loop; a rebuild: projections.rebuild.)

A projection turns a batch of a tenant's events into read-model rows. Its checkpoint row is
locked for the batch and advanced in the same transaction as the rows it wrote, so each event is
applied exactly once, whichever process runs it. A new projection only needs a class here and a
table: its checkpoint starts at 0 and the runner backfills it; the write path is untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import asyncpg
import msgspec

from ledger.store.events import FOLD_COLUMNS, StreamEvent, stream_event_from_row, streams_after
from ledger.store.policies import PolicyStore
from projections import snapshots
from projections.fold_cache import FoldCache
from projections.incident_view import Folded, Stream, ViewRow, assignee_spans, stored_row
from projections.reports import (
    ASSIGNEE_LOAD_ALL,
    ASSIGNEE_LOAD_OF,
    COVERAGE_ROWS_OF,
    DELETE_REPORT_ROWS,
    DELETE_REPORT_ROWS_OF,
    SLA_ROWS_OF,
)
from projections.snapshots import IncidentSnapshots

BATCH = 500
# The runner shares the event loop with requests: it lets them run every so many streams
# folded, so a large batch never holds the loop for more than a few milliseconds.
YIELD_EVERY = 10

# The checkpoint rows a projection lacks for a tenant (its first run there); answers those added.
ENSURE_CHECKPOINTS = """
INSERT INTO projection_checkpoints (tenant_id, projection) SELECT $1, unnest($2::text[])
ON CONFLICT (tenant_id, projection) DO NOTHING RETURNING projection
"""
LOCK_CHECKPOINTS = """
SELECT projection, position FROM projection_checkpoints
 WHERE tenant_id = $1 AND projection = ANY($2::text[]) ORDER BY projection FOR UPDATE
"""
TRY_LOCK_CHECKPOINTS = LOCK_CHECKPOINTS + " SKIP LOCKED"
SAVE_CHECKPOINTS = """
UPDATE projection_checkpoints SET position = $3, updated_at = now()
 WHERE tenant_id = $1 AND projection = ANY($2::text[])
"""
# A batch: which incidents it touched (their streams are read after) and where it ends.
EVENTS_AFTER = """
SELECT position, incident_id FROM events WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3
"""
# $2 incidents, $3 the version each is folded up to here (0: none): the events after it.
STREAMS_AFTER = streams_after(FOLD_COLUMNS)
# Tenants where one of the projections is behind the head (or has never run).
TENANTS_BEHIND = """
SELECT t.id FROM tenants t
 WHERE t.head_position > 0 AND EXISTS (
     SELECT FROM unnest($1::text[]) AS p(name)
       LEFT JOIN projection_checkpoints c ON c.tenant_id = t.id AND c.projection = p.name
      WHERE coalesce(c.position, 0) < t.head_position)
"""
_VIEW_FIELDS = ViewRow.__struct_fields__
# A batch of views in one statement: $2 a JSON array of ViewRows, the tenant from $1 (msgspec
# encodes the JSON in C, far cheaper than asyncpg's binary encoding of these wide rows).
INSERT_VIEWS = f"""
INSERT INTO incident_views (tenant_id, {", ".join(_VIEW_FIELDS)})
SELECT $1, {", ".join(_VIEW_FIELDS)} FROM json_populate_recordset(NULL::incident_views, $2::json)
"""
UPSERT_VIEWS = f"""{INSERT_VIEWS} ON CONFLICT (tenant_id, incident_id) DO UPDATE SET
    {", ".join(f"{field} = excluded.{field}" for field in _VIEW_FIELDS[1:])}
"""
_ENCODER = msgspec.json.Encoder()
DELETE_VIEWS = "DELETE FROM incident_views WHERE tenant_id = $1"
# A batch's report rows, from its views (a rebuild's batch: while the next one is folded).
_DERIVE_REPORT_ROWS_OF = f"WITH sla AS ({SLA_ROWS_OF}) {COVERAGE_ROWS_OF}"
SPANS_OF = """
SELECT incident_id, assignee, seq, start_at, end_at FROM assignee_spans
 WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[])
"""
# One statement: delete the spans in $2-$4 (by key), insert or overwrite those in $5-$9.
CHANGE_SPANS = """
WITH gone AS (
    DELETE FROM assignee_spans s USING unnest($2::uuid[], $3::text[], $4::integer[]) AS k(incident_id, assignee, seq)
     WHERE s.tenant_id = $1 AND s.incident_id = k.incident_id AND s.assignee = k.assignee AND s.seq = k.seq
)
INSERT INTO assignee_spans (tenant_id, incident_id, assignee, seq, start_at, end_at)
SELECT $1, * FROM unnest($5::uuid[], $6::text[], $7::integer[], $8::timestamptz[], $9::timestamptz[])
    ON CONFLICT (tenant_id, incident_id, assignee, seq)
    DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at
"""
DELETE_LOAD = "DELETE FROM assignee_load WHERE tenant_id = $1"
DELETE_LOAD_OF = "DELETE FROM assignee_load WHERE tenant_id = $1 AND assignee = ANY($2::text[])"
INSERT_LOAD = """
INSERT INTO assignee_load (tenant_id, assignee, incidents, peak) SELECT $1, assignee, incidents, peak FROM ({}) AS load
"""
DELETE_SPANS = "DELETE FROM assignee_spans WHERE tenant_id = $1"
SPAN_COLUMNS = ["tenant_id", "incident_id", "assignee", "seq", "start_at", "end_at"]
VIEW_COLUMNS = ["tenant_id", *_VIEW_FIELDS]


class Projection(Protocol):
    """A read model kept per tenant. Its rows for an incident are a function of the incident's whole
    stream, so applying a stream twice changes nothing: that is what lets the runner apply several
    projections from one read, and a rebuild overlap the catch-up."""

    name: str

    async def apply(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Stream]) -> None:
        """Replace the rows of these incidents with rows folded from their whole streams."""

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None: ...

    async def records(self, conn: asyncpg.Connection | None, tenant: str, streams: Sequence[Stream]) -> list[Any]:
        """The rows of whole streams (a rebuild). Folding may read through `conn`; with None it
        reads nothing the projection's `prepare` did not load."""

    async def write(self, conn: asyncpg.Connection, tenant: str, records: list[Any]) -> None:
        """Write `records` into the reset projection (a rebuild: no conflicts, one batch)."""

    async def prepare(self, conn: asyncpg.Connection, tenant: str) -> None:
        """Run once before a rebuild folds anything (to load what folding reads)."""

    async def finish(self, conn: asyncpg.Connection, tenant: str) -> None:
        """Run once after a rebuild's last write (for rows that summarize the whole tenant)."""


async def _touched_streams(
    conn: asyncpg.Connection,
    tenant: str,
    batch: Sequence[asyncpg.Record],
    folds: FoldCache | None,
    every: int | None,
) -> list[Stream]:
    """The streams of the incidents a batch (EVENTS_AFTER) touched, read in one query: the events
    after the fold each resumes from (projections.snapshots.bases), or the whole stream."""
    touched = list(dict.fromkeys(r["incident_id"] for r in batch if r["incident_id"] is not None))
    if not touched:
        return []
    held = {incident_id: _view_held(folds, tenant, incident_id) for incident_id in touched}
    bases = await snapshots.bases(conn, tenant, held, every)
    after: dict[Any, list[StreamEvent]] = {}
    upto = [base.version if (base := bases[incident_id]) is not None else 0 for incident_id in touched]
    for n, row in enumerate(await conn.fetch(STREAMS_AFTER, tenant, touched, upto), start=1):
        if n % (YIELD_EVERY * 10) == 0:
            await asyncio.sleep(0)
        event = stream_event_from_row(row)
        after.setdefault(event.incident_id, []).append(event)
    return [
        Stream(after.get(incident_id, []), base)
        for incident_id in touched
        if (base := bases[incident_id]) is not None or incident_id in after
    ]


def _view_held(folds: FoldCache | None, tenant: str, incident_id: Any) -> Folded | None:
    held = folds.get(tenant, incident_id) if folds is not None else None
    return held.view if held is not None else None


def _snapshot_every(projections: Iterable[Projection]) -> int | None:
    """The snapshot interval, if snapshots are among the projections applied."""
    return next((p.every for p in projections if isinstance(p, snapshots.IncidentSnapshots)), None)


def _remember_folds(folds: FoldCache | None, tenant: str, streams: Sequence[Stream]) -> None:
    if folds is not None:
        for stream in streams:
            folds.keep(tenant, stream.incident_id, view=stream.folded())


class IncidentViews:
    """incident_views: each incident's SLA and coverage figures, for lists, filters and reports;
    with them, the narrow rows the reports read (sla_report_rows, coverage_report_rows), derived
    from the views in SQL in the same transaction."""

    name = "incident_views"

    def __init__(self, policies: PolicyStore) -> None:
        self.policies = policies

    async def records(self, conn: asyncpg.Connection | None, tenant: str, streams: Sequence[Stream]) -> list[Any]:
        rows = []
        for n, stream in enumerate(streams, start=1):
            policy = await self.policies.version(tenant, stream.first.policy_version, conn)
            rows.append(stored_row(stream, policy))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return rows

    async def apply(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Stream]) -> None:
        rows = await self.records(conn, tenant, streams)
        if rows:
            await conn.execute(UPSERT_VIEWS, tenant, _ENCODER.encode(rows).decode())
            incidents = [row.incident_id for row in rows]
            await conn.execute(DELETE_REPORT_ROWS_OF, tenant, incidents)
            await conn.execute(_DERIVE_REPORT_ROWS_OF, tenant, incidents)

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(DELETE_VIEWS, tenant)
        await conn.execute(DELETE_REPORT_ROWS, tenant)

    async def prepare(self, conn: asyncpg.Connection, tenant: str) -> None:
        # Every version an event up to the head names is stored by now (written with its event).
        await self.policies.preload(tenant, conn)

    async def write(self, conn: asyncpg.Connection, tenant: str, records: list[Any]) -> None:
        if records:
            await conn.execute(INSERT_VIEWS, tenant, _ENCODER.encode(records).decode())
            await conn.execute(_DERIVE_REPORT_ROWS_OF, tenant, [row.incident_id for row in records])

    async def finish(self, conn: asyncpg.Connection, tenant: str) -> None:
        pass  # (its report rows are derived batch by batch, in `write`)


class AssigneeSpans:
    """assignee_spans: when each person held a role on an open incident (load per assignee)."""

    name = "assignee_spans"

    async def apply(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Stream]) -> None:
        # Most events change no span (notes, replies, notices), and an assignment changes two (the
        # one it ends, the one it starts): only the spans that changed are written, and only the
        # whole-tenant figures of their assignees are recomputed (recomputing one reads all of
        # that assignee's spans).
        before = await conn.fetch(SPANS_OF, tenant, [s.incident_id for s in streams])
        after = await self.records(conn, tenant, streams)
        old = set(map(tuple, before))  # (SPANS_OF's columns are a span's key and times, in order)
        new = {span[1:] for span in after}
        came, went = new - old, old - new
        if not came and not went:
            return
        kept = {span[:3] for span in came}
        gone = [span for span in went if span[:3] not in kept]  # (the rest are overwritten)
        await conn.execute(CHANGE_SPANS, tenant, *_columns(gone, 3), *_columns(came, 5))
        touched = sorted({span[1] for span in came | went})
        await conn.execute(DELETE_LOAD_OF, tenant, touched)
        await conn.execute(INSERT_LOAD.format(ASSIGNEE_LOAD_OF), tenant, touched)

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(DELETE_SPANS, tenant)
        await conn.execute(DELETE_LOAD, tenant)

    async def prepare(self, conn: asyncpg.Connection, tenant: str) -> None:
        pass  # (folding spans reads nothing)

    async def finish(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(INSERT_LOAD.format(ASSIGNEE_LOAD_ALL), tenant)

    async def records(self, conn: asyncpg.Connection | None, tenant: str, streams: Sequence[Stream]) -> list[Any]:
        spans: list[tuple[Any, ...]] = []
        for n, stream in enumerate(streams, start=1):
            spans.extend((tenant, stream.incident_id, *span) for span in assignee_spans(stream))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return spans

    async def write(self, conn: asyncpg.Connection, tenant: str, records: list[Any]) -> None:
        if records:
            await conn.copy_records_to_table("assignee_spans", records=records, columns=SPAN_COLUMNS)


def _columns(rows: Iterable[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """The first `width` fields of `rows`, as one list per field (for unnest)."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=False):
            column.append(value)
    return columns


def registry(policies: PolicyStore, snapshot_every: int = snapshots.DEFAULT_EVERY) -> dict[str, Projection]:
    projections: list[Projection] = [IncidentViews(policies), AssigneeSpans(), IncidentSnapshots(snapshot_every)]
    return {p.name: p for p in projections}


async def advance(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    tenant: str,
    position: int,
    *,
    folds: FoldCache | None,
) -> int:
    """Apply batches after `position` inside the caller's transaction; return the new position.
    `folds`: the folds to resume from and to keep (None: fold whole streams, keep nothing)."""
    while True:
        rows = await conn.fetch(EVENTS_AFTER, tenant, position, BATCH)
        if not rows:
            return position
        streams = await _touched_streams(conn, tenant, rows, folds, _snapshot_every(projections))
        for projection in projections:
            await projection.apply(conn, tenant, streams)
        _remember_folds(folds, tenant, streams)
        position = rows[-1]["position"]
        if len(rows) < BATCH:
            return position


async def catch_up(
    pool: asyncpg.Pool, projections: Sequence[Projection], tenant: str, *, wait: bool, folds: FoldCache | None
) -> int:
    """Bring projections of one tenant up to date together, one batch per transaction.

    Each batch of events and the streams it touched are read once for all the projections; their
    checkpoints are locked for the batch and advanced in the same transaction as their rows.
    `wait=True` (reads that must see a write just made) waits for a run in progress elsewhere;
    `wait=False` (the background loop) leaves out projections another process is already on.
    `folds`: the process's fold cache, to resume from and to keep the new folds in (None: fold
    whole streams).
    Returns how many events were applied.
    """
    names = sorted(p.name for p in projections)  # (one lock order for every process)
    by_name = {p.name: p for p in projections}
    applied = 0
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                locked = await conn.fetch(LOCK_CHECKPOINTS if wait else TRY_LOCK_CHECKPOINTS, tenant, names)
                if len(locked) < len(names):
                    if await conn.fetch(ENSURE_CHECKPOINTS, tenant, names) or wait:
                        # A projection's first run for this tenant: lock again with its row. (Or, when
                        # waiting, another process made the row after this lock looked and may be
                        # applying a batch now: returning would read a view it has not brought up to date.)
                        continue
                    if not locked:
                        return applied  # another process holds them all
                    # (the rest are held by another process, which brings them up to date)
                position = min(r["position"] for r in locked)
                rows = await conn.fetch(EVENTS_AFTER, tenant, position, BATCH)
                if not rows:
                    return applied
                applying = [by_name[r["projection"]] for r in locked]
                streams = await _touched_streams(conn, tenant, rows, folds, _snapshot_every(applying))
                for projection in applying:
                    await projection.apply(conn, tenant, streams)
                _remember_folds(folds, tenant, streams)
                await conn.execute(SAVE_CHECKPOINTS, tenant, [r["projection"] for r in locked], rows[-1]["position"])
                applied += len(rows)
            if len(rows) < BATCH:
                return applied


async def catch_up_all(
    pool: asyncpg.Pool, projections: dict[str, Projection], tenant: str, folds: FoldCache | None
) -> None:
    """Bring every projection of `tenant` up to date, waiting for a run in progress elsewhere."""
    await catch_up(pool, list(projections.values()), tenant, wait=True, folds=folds)
