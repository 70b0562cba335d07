"""The tenant's feed: every event in one gapless sequence of positions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ
from ledger.store.events import EventStore
from projections.renders import event_out
from schemas.api import MAX_POSITION, EventPage


@get("/v1/events", opt=READ, responses=ERRORS_READ, tags=["feed"], summary="The tenant's event feed")
async def read_feed(
    request: Request[Any, Any, Any],
    store: NamedDependency[EventStore],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_POSITION, description="Last position seen")] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> EventPage:
    """Events with position > after, in position order; `next` is the `after` for the next page."""
    events = await store.read_feed(principal_of(request).tenant, after, limit)
    more = len(events) == limit
    return EventPage(items=[event_out(e) for e in events], next=events[-1].position if more else None)
