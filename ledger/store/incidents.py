"""Reads by incident: whether a tenant has one (its stream row), and a list page's streams.

The stream rows (`incidents`) are written by `ledger_append` with the events
(ledger/store/events.py); lists filtered by the stored views: projections/view_queries.py.
"""

from __future__ import annotations

import uuid

import asyncpg

from ledger.store.events import EVENT_COLUMNS, streams_after

INCIDENT_EXISTS = "SELECT true FROM incidents WHERE tenant_id = $1 AND id = $2"
# A page's incidents: each one's events after the version of the fold held of it ($3; 0: all).
EVENTS_AFTER_HELD = streams_after(EVENT_COLUMNS)


async def incident_exists(pool: asyncpg.Pool, tenant: str, incident_id: uuid.UUID) -> bool:
    return bool(await pool.fetchval(INCIDENT_EXISTS, tenant, incident_id))


async def events_after_held(
    pool: asyncpg.Pool, tenant: str, ids: list[uuid.UUID], after_versions: list[int]
) -> list[asyncpg.Record]:
    """The events of each incident in `ids` after the version at the same place in `after_versions`."""
    return await pool.fetch(EVENTS_AFTER_HELD, tenant, ids, after_versions)
