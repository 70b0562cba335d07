"""An incident's records, a page at a time: its events (the whole history) and its public statements."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ
from ledger.service.incident_reads import IncidentReader
from ledger.store.events import EventStore
from projections.renders import event_out
from schemas.api import EventPage, StatementPage


class IncidentPagesController(Controller):
    path = "/v1/incidents"
    tags = ["incidents"]

    @get("/{incident_id:uuid}/events", opt=READ, responses=ERRORS_READ, summary="The incident's history")
    async def history(
        self,
        request: Request[Any, Any, Any],
        store: NamedDependency[EventStore],
        queries: NamedDependency[IncidentReader],
        incident_id: FromPath[uuid.UUID],
        after: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 1000,
    ) -> EventPage:
        tenant = principal_of(request).tenant
        events = await store.read_stream(tenant, incident_id, after, limit)
        if not events:
            await queries.require(tenant, incident_id)  # 404 for an unknown incident, [] past its end
        more = len(events) == limit
        return EventPage(items=[event_out(e) for e in events], next=events[-1].version if more else None)

    @get(
        "/{incident_id:uuid}/statements",
        opt=READ,
        responses=ERRORS_READ,
        summary="The incident's public statements",
        description="Every public reply with its provenance, in recorded order, a page at a time: "
        "pass the page's `next` as `after` for the next one (null after the last).",
    )
    async def statements(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[IncidentReader],
        incident_id: FromPath[uuid.UUID],
        after: Annotated[int, QueryParameter(ge=0, le=2**31 - 1, description="A version: statements after it")] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> StatementPage:
        page = await queries.statements(principal_of(request).tenant, incident_id, after, limit)
        return StatementPage(items=page, next=page[-1].version if len(page) == limit else None)
