"""Reads by incident: whether a tenant has one (its stream row), a list page's streams, and its
public statements.

The stream rows (`incidents`) are written by `ledger_append` with the events
(ledger/store/events.py); lists filtered by the stored views: projections/view_queries.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from ledger.store.events import EVENT_COLUMNS, event_from_row, streams_after
from schemas.events import Event

INCIDENT_EXISTS = "SELECT true FROM incidents WHERE tenant_id = $1 AND id = $2"
# A page's incidents: each one's events after the version of the fold held of it ($3; 0: all).
EVENTS_AFTER_HELD = streams_after(EVENT_COLUMNS)

# A public statement, as projections.provenance.is_public_statement says, in SQL: the partial index
# events_public_replies has this very predicate, so these read only the incident's statements.
_PUBLIC_STATEMENT = "type = 'replied' AND data->>'visibility' = 'public'"
# A page of them ($4) after version $3, in recorded order.
STATEMENTS_AFTER = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id = $2 AND {_PUBLIC_STATEMENT} AND version > $3
 ORDER BY version LIMIT $4
"""
# The latest $5 of them at or below version $3 recorded by $4, in recorded order.
LATEST_STATEMENTS = f"""
SELECT * FROM (
    SELECT {EVENT_COLUMNS} FROM events
     WHERE tenant_id = $1 AND incident_id = $2 AND {_PUBLIC_STATEMENT} AND version <= $3 AND recorded_at <= $4
     ORDER BY version DESC LIMIT $5) AS latest
 ORDER BY version
"""


async def incident_exists(pool: asyncpg.Pool, tenant: str, incident_id: uuid.UUID) -> bool:
    return bool(await pool.fetchval(INCIDENT_EXISTS, tenant, incident_id))


async def events_after_held(
    pool: asyncpg.Pool, tenant: str, ids: list[uuid.UUID], after_versions: list[int]
) -> list[asyncpg.Record]:
    """The events of each incident in `ids` after the version at the same place in `after_versions`."""
    return await pool.fetch(EVENTS_AFTER_HELD, tenant, ids, after_versions)


async def statements_after(
    pool: asyncpg.Pool, tenant: str, incident_id: uuid.UUID, after: int, limit: int
) -> list[Event]:
    """The events of the incident's public statements after version `after`, at most `limit`."""
    return [event_from_row(r) for r in await pool.fetch(STATEMENTS_AFTER, tenant, incident_id, after, limit)]


async def latest_statements(
    pool: asyncpg.Pool, tenant: str, incident_id: uuid.UUID, upto: int, recorded_by: datetime, limit: int
) -> list[Event]:
    """The events of the incident's latest `limit` public statements at or below version `upto`
    recorded by `recorded_by`, oldest first."""
    rows = await pool.fetch(LATEST_STATEMENTS, tenant, incident_id, upto, recorded_by, limit)
    return [event_from_row(r) for r in rows]


# Each incident's title (its first event's: no event changes a title) and its current severity.
TITLES = """
SELECT i.id, i.severity, e.data->>'title' AS title FROM incidents i
  JOIN events e ON e.tenant_id = i.tenant_id AND e.incident_id = i.id AND e.version = 1
 WHERE i.tenant_id = $1 AND i.id = ANY($2::uuid[])
"""


async def titles(pool: asyncpg.Pool, tenant: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """(title, severity) of the tenant's incidents in `ids` (another tenant's ids find nothing)."""
    return {row["id"]: (row["title"], row["severity"]) for row in await pool.fetch(TITLES, tenant, ids)}
