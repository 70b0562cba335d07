"""Reading incidents: one by folding its events (always current), lists from the stream table."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from ledger.errors import NotFound
from ledger.rules import Incident, fold
from ledger.store import EVENT_COLUMNS, EventStore, event_from_row
from schemas.events import Event

# The filters are fixed SQL with NULL meaning "any": one prepared statement serves every
# combination, and no value ever reaches the SQL text.
LIST_INCIDENTS = """
SELECT id, created_position FROM incidents
 WHERE tenant_id = $1
   AND ($2::text IS NULL OR status = $2)
   AND ($3::text IS NULL OR severity = $3)
   AND ($4::text IS NULL OR scenario = $4)
   AND ($5::text IS NULL OR channel = $5)
   AND ($6::bigint IS NULL OR created_position < $6)
 ORDER BY created_position DESC
 LIMIT $7
"""

EVENTS_OF_INCIDENTS = f"""
SELECT {EVENT_COLUMNS} FROM events
 WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[])
 ORDER BY incident_id, version
"""


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    severity: str | None = None
    scenario: str | None = None
    channel: str | None = None


class IncidentQueries:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def history(self, tenant: str, incident_id: uuid.UUID) -> list[Event]:
        events = await self.store.read_stream(tenant, incident_id)
        if not events:
            # Another tenant's incident and a missing one answer alike.
            raise NotFound(f"incident {incident_id} not found")
        return events

    async def get(self, tenant: str, incident_id: uuid.UUID) -> Incident:
        incident = fold(await self.history(tenant, incident_id))
        assert incident is not None
        return incident

    async def list(
        self, tenant: str, flt: ListFilter, before: int | None, limit: int
    ) -> tuple[list[Incident], str | None]:
        rows = await self.store.pool.fetch(
            LIST_INCIDENTS, tenant, flt.status, flt.severity, flt.scenario, flt.channel, before, limit + 1
        )
        page, more = rows[:limit], len(rows) > limit
        ids = [r["id"] for r in page]
        by_incident: dict[uuid.UUID, list[Event]] = defaultdict(list)
        for row in await self.store.pool.fetch(EVENTS_OF_INCIDENTS, tenant, ids):
            by_incident[row["incident_id"]].append(event_from_row(row))
        incidents = [i for i in (fold(by_incident[iid]) for iid in ids) if i is not None]
        next_cursor = str(page[-1]["created_position"]) if more and page else None
        return incidents, next_cursor
