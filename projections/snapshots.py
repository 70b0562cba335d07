"""Stored snapshots of incidents' folds (`incident_snapshots`), and reading an incident's folds
from the latest one on.

A snapshot is an incident's `Folded` (projections.incident_view: the decider's state, the SLA
and coverage folds, the count of public statements) at a version that is a multiple of `every`,
msgspec-encoded, stored with the latest recorded_at among its events. It is a projection like
the others: written by the projection runner as it folds the streams a batch touched (never by
a read: reads stay read-only, one process at a time writes, and a read would have to fold to
the exact multiple it crosses), and recomputed by `crisis-ledger projections rebuild` (a pure
function of the events: a rebuild writes the very same bytes).

A read uses a snapshot only if the event at its version still has the hash recorded with it (the
hash chains every event before it, so the snapshot is the fold of this very history) and its
`fold_code` is FOLD_CODE; anything else is ignored (an older snapshot, or the events, serve).
It then folds only the events after it, a page at a time: a read costs the events since the
snapshot, not the incident's history, and holds at most a page of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import structlog

from ledger.domain.rules import Incident
from ledger.store.events import EventStore
from projections.coverage import CoverageState
from projections.incident_view import Folded, Stream
from projections.sla import SlaState
from schemas.events import Detected

log = structlog.get_logger(__name__)

# Bump whenever a fold's shape or meaning changes (Incident, SlaState, CoverageState, Detected,
# Snapshot, or what a fold puts in them): stored snapshots of another code are then ignored, and
# replaced by the runner as their incidents change, or all at once by a rebuild.
FOLD_CODE = 2
DEFAULT_EVERY = 500  # LEDGER_SNAPSHOT_EVERY
PAGE = 500  # events read and folded at a time
_FOREVER = datetime.max.replace(tzinfo=UTC)
_LAST = 2**31 - 1


class Snapshot(msgspec.Struct, frozen=True, array_like=True):
    """What is stored of a `Folded` (its incident's id and version are the row's key)."""

    incident: Incident
    first: Detected
    as_of: datetime
    sla: SlaState
    coverage: CoverageState
    statements: int


# Sets in a fold (the escalations suggested) are encoded sorted: in their iteration order, which
# follows the string hashes, salted per process, two rebuilds wrote different bytes for one fold.
_encoder = msgspec.msgpack.Encoder(uuid_format="bytes", order="deterministic")
_decoder = msgspec.msgpack.Decoder(Snapshot)

_VERIFIED = """
  JOIN events e ON e.tenant_id = s.tenant_id AND e.incident_id = s.incident_id AND e.version = s.version
                AND e.hash = s.hash"""
# The latest usable snapshot of incident $2 at or below version $4 whose events were all
# recorded by $5 (a read as of then may start from it).
LATEST = f"""
SELECT s.version, s.folds FROM incident_snapshots s{_VERIFIED}
 WHERE s.tenant_id = $1 AND s.incident_id = $2 AND s.fold_code = $3 AND s.version <= $4 AND s.recorded_upto <= $5
 ORDER BY s.version DESC LIMIT 1
"""
# The latest usable snapshot's version of each incident in $2 (the rows of those without none).
LATEST_VERSIONS = f"""
SELECT t.wanted AS incident_id, x.version FROM unnest($2::uuid[]) AS t(wanted)
 CROSS JOIN LATERAL (
    SELECT s.version FROM incident_snapshots s{_VERIFIED}
     WHERE s.tenant_id = $1 AND s.incident_id = t.wanted AND s.fold_code = $3
     ORDER BY s.version DESC LIMIT 1) AS x
"""
SNAPSHOTS_AT = """
SELECT s.incident_id, s.version, s.folds FROM incident_snapshots s
  JOIN unnest($2::uuid[], $3::integer[]) AS t(wanted, at) ON s.incident_id = t.wanted AND s.version = t.at
 WHERE s.tenant_id = $1
"""
# The hash is the event's as the table holds it as the snapshot is written. recorded_upto is
# looked up here, once per snapshot, rather than kept by the fold: a fold would read and compare
# every event's recorded_at for the few that become snapshots (about 5% of a rebuild's CPU).
_INSERT = """
INSERT INTO incident_snapshots (tenant_id, incident_id, version, hash, recorded_upto, fold_code, folds)
SELECT $1, s.incident_id, s.version,
       (SELECT e.hash FROM events e WHERE e.tenant_id = $1 AND e.incident_id = s.incident_id AND e.version = s.version),
       (SELECT max(e.recorded_at) FROM events e
         WHERE e.tenant_id = $1 AND e.incident_id = s.incident_id AND e.version <= s.version),
       $5, s.folds
  FROM unnest($2::uuid[], $3::integer[], $4::bytea[]) AS s(incident_id, version, folds)
"""
INSERT_SNAPSHOTS = _INSERT
UPSERT_SNAPSHOTS = f"""{_INSERT} ON CONFLICT (tenant_id, incident_id, version) DO UPDATE SET
    hash = excluded.hash, recorded_upto = excluded.recorded_upto, fold_code = excluded.fold_code, folds = excluded.folds
"""
DELETE_SNAPSHOTS = "DELETE FROM incident_snapshots WHERE tenant_id = $1"


def encode(folded: Folded) -> bytes:
    snapshot = Snapshot(
        folded.incident,
        folded.first,
        folded.as_of,
        folded.sla,
        folded.coverage,
        folded.statements,
    )
    return _encoder.encode(snapshot)


def decode(incident_id: uuid.UUID, version: int, raw: bytes) -> Folded | None:
    """The fold a snapshot holds; None if it does not decode (then it is not used)."""
    try:
        s = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("snapshot_unreadable", incident_id=str(incident_id), version=version, error=str(exc)[:200])
        return None
    return Folded(incident_id, version, s.first, s.as_of, s.sla, s.coverage, s.incident, s.statements)


class IncidentSnapshots:
    """incident_snapshots: each incident's folds at every `every`-th version (a Projection)."""

    name = "incident_snapshots"

    def __init__(self, every: int = DEFAULT_EVERY) -> None:
        self.every = every

    async def records(self, conn: asyncpg.Connection | None, tenant: str, streams: Sequence[Stream]) -> list[Any]:
        rows = []
        for stream in streams:
            for folded in stream.marks(self.every):
                rows.append((folded.incident_id, folded.version, encode(folded)))
        return rows

    async def apply(self, conn: asyncpg.Connection, tenant: str, streams: Sequence[Stream]) -> None:
        # (the runner resumes no stream past a mark not stored: projections.runner._bases)
        await self._write(conn, UPSERT_SNAPSHOTS, tenant, await self.records(conn, tenant, streams))

    async def write(self, conn: asyncpg.Connection, tenant: str, records: list[Any]) -> None:
        await self._write(conn, INSERT_SNAPSHOTS, tenant, records)

    async def _write(self, conn: asyncpg.Connection, sql: str, tenant: str, records: list[Any]) -> None:
        if records:
            ids, versions, folds = (list(column) for column in zip(*records, strict=True))
            await conn.execute(sql, tenant, ids, versions, folds, FOLD_CODE)

    async def reset(self, conn: asyncpg.Connection, tenant: str) -> None:
        await conn.execute(DELETE_SNAPSHOTS, tenant)

    async def prepare(self, conn: asyncpg.Connection, tenant: str) -> None:
        pass  # (folding reads nothing)

    async def finish(self, conn: asyncpg.Connection, tenant: str) -> None:
        pass


async def latest(
    db: asyncpg.Pool | asyncpg.Connection,
    tenant: str,
    incident_id: uuid.UUID,
    *,
    upto: int = _LAST,
    as_of: datetime | None = None,
) -> Folded | None:
    """The fold of the latest usable snapshot at or below version `upto`, and with `as_of`
    of events all recorded by then; None without one."""
    row = await db.fetchrow(LATEST, tenant, incident_id, FOLD_CODE, upto, as_of or _FOREVER)
    return decode(incident_id, row["version"], row["folds"]) if row is not None else None


async def latest_versions(
    conn: asyncpg.Pool | asyncpg.Connection, tenant: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The version of each incident's latest usable snapshot (incidents without one left out)."""
    rows = await conn.fetch(LATEST_VERSIONS, tenant, list(ids), FOLD_CODE)
    return {r["incident_id"]: r["version"] for r in rows}


async def snapshots_at(
    conn: asyncpg.Pool | asyncpg.Connection, tenant: str, wanted: dict[uuid.UUID, int]
) -> dict[uuid.UUID, Folded]:
    """The folds of the snapshots at the versions `wanted` names (as `latest_versions` found them)."""
    if not wanted:
        return {}
    rows = await conn.fetch(SNAPSHOTS_AT, tenant, list(wanted), list(wanted.values()))
    folds = {r["incident_id"]: decode(r["incident_id"], r["version"], r["folds"]) for r in rows}
    return {incident_id: folded for incident_id, folded in folds.items() if folded is not None}


async def bases(
    db: asyncpg.Pool | asyncpg.Connection, tenant: str, held: dict[uuid.UUID, Folded | None], every: int | None
) -> dict[uuid.UUID, Folded | None]:
    """Where each incident's fold resumes: the fold held of it (`held`), unless a snapshot is due
    at or below it and not stored (a read or a write took the fold past a multiple of `every`,
    the snapshot interval, while snapshots are being written: None if not), or the latest stored
    snapshot is later, or none is held; then that snapshot (or the start)."""
    asked = [i for i, fold in held.items() if fold is None or (every is not None and fold.version >= every)]
    if not asked:
        return held
    stored = await latest_versions(db, tenant, asked)
    chosen, wanted = dict(held), {}
    for incident_id in asked:
        fold, version = held[incident_id], stored.get(incident_id, 0)
        if fold is not None and version <= fold.version and (every is None or fold.version < version + every):
            continue
        chosen[incident_id] = None
        if version:
            wanted[incident_id] = version
    chosen.update(await snapshots_at(db, tenant, wanted))
    return chosen


async def stream_from(
    store: EventStore,
    tenant: str,
    incident_id: uuid.UUID,
    base: Folded | None,
    *,
    upto: int = _LAST,
    as_of: datetime | None = None,
    conn: asyncpg.Connection | None = None,
) -> Stream | None:
    """The incident's stream after `base` (up to version `upto`; with `as_of`, only events
    recorded by then; on `conn` if given), read and folded a page at a time: a Stream of the last
    page over the fold of all before it. None for an incident without events (as of then)."""
    after = base.version if base is not None else 0
    while True:
        limit = min(PAGE, upto - after)
        page = await store.read_stream(tenant, incident_id, after, limit=limit, conn=conn, recorded_by=as_of)
        if len(page) < PAGE or page[-1].version == upto:
            return Stream(page, base) if page or base is not None else None
        base = Stream(page, base).folded()
        after = base.version


async def stored_state(
    store: EventStore,
    tenant: str,
    incident_id: uuid.UUID,
    *,
    upto: int = _LAST,
    conn: asyncpg.Connection | None = None,
) -> Incident | None:
    """The decider's state at version `upto` (the latest), from the latest snapshot at or below
    it on; None for an incident without events."""
    base = await latest(conn or store.pool, tenant, incident_id, upto=upto)
    stream = await stream_from(store, tenant, incident_id, base, upto=upto, conn=conn)
    return stream.incident if stream is not None else None
