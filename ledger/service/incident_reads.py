"""Reading incidents: one by folding its events (always current), lists from the stream table and views.

A read folds an incident's stream from the fold this process held of it after its previous
read (`HeldRead`; single reads and list pages alike): only the events after that are read and
folded, and the SLA render resumes. Events never change, so a fold of a stream's first events
stays the fold of those events: the read is exactly the read of the whole stream, at a cost
that follows what was appended since, not the incident's length."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from ledger.domain.errors import NotFound
from ledger.domain.plan import Policy
from ledger.domain.rules import Incident, evolve, fold
from ledger.lru import Lru
from ledger.store.events import EventStore, event_from_row
from ledger.store.incidents import events_after_held, incident_exists
from ledger.store.policies import PolicyStore
from projections.incident_view import Blocks, Folded, Stream, blocks, stream_blocks
from projections.provenance import public_statements
from projections.runner import Projection, catch_up_all
from projections.view_queries import ListFilter, list_page
from schemas.api import StatementOut
from schemas.events import Detected, Event


@dataclass(frozen=True)
class IncidentRead:
    incident: Incident
    blocks: Blocks
    statements: list[StatementOut] | None = None  # single reads only: the public replies' provenance


@dataclass(frozen=True)
class ReviewRead:
    events: list[Event]
    policy: Policy
    blocks: Blocks
    measured_at: datetime
    as_of: datetime | None

    @property
    def title(self) -> str:
        detected = self.events[0].data
        return detected.title if isinstance(detected, Detected) else ""


# At most this many events' worth of folds held per process: about 1 KB a held event, measured
# (tracemalloc) on incidents of short public replies and assignments; about 50 MB at most.
HELD_EVENTS = 50_000


@dataclass(frozen=True)
class HeldRead:
    """An incident as a read here last folded it: its state, its SLA and coverage fold (with the
    SLA replay), and its public statements, all up to `version`."""

    incident: Incident
    fold: Folded
    statements: tuple[StatementOut, ...]

    @property
    def version(self) -> int:
        return self.incident.version


class IncidentReader:
    def __init__(
        self, store: EventStore, policies: PolicyStore, projections: dict[str, Projection], held: int = HELD_EVENTS
    ) -> None:
        self.store = store
        self.policies = policies
        self.projections = projections
        # The incidents read last, bounded by the events they were folded from (a fold holds an
        # incident's timeline and statements: memory grows with its length, not per incident).
        self.held: Lru[tuple[str, uuid.UUID], HeldRead] = Lru(held)

    async def history(self, tenant: str, incident_id: uuid.UUID) -> list[Event]:
        events = await self.store.read_stream(tenant, incident_id)
        if not events:
            # Another tenant's incident and a missing one answer alike.
            raise NotFound(f"incident {incident_id} not found")
        return events

    async def require(self, tenant: str, incident_id: uuid.UUID) -> None:
        """NotFound unless the tenant has this incident: one probe of its stream row, not a read
        of its stream (a history poll past the end of a long incident asks this every time)."""
        if not await incident_exists(self.store.pool, tenant, incident_id):
            raise NotFound(f"incident {incident_id} not found")

    async def read(self, tenant: str, incident_id: uuid.UUID, now: datetime) -> IncidentRead:
        """The incident with its SLA and coverage at `now`, folded from its events (read-your-writes):
        those after the fold held from the last read here, or all of them."""
        held = self.held.get((tenant, incident_id))
        if held is None:
            events = await self.history(tenant, incident_id)
        else:
            events = await self.store.read_stream(tenant, incident_id, after=held.version)
        return await self._extend(tenant, held, events, now)

    async def _extend(
        self, tenant: str, held: HeldRead | None, events: list[Event], now: datetime, *, with_statements: bool = True
    ) -> IncidentRead:
        """The read at `now` of the incident `held` folded up to its version, and `events` after
        it (with no fold held: all of the incident's events). Holds the new fold in its place.
        The statements are kept with it either way; the read lists them `with_statements`."""
        if held is None:
            incident, stream, statements = fold(events), Stream(events), tuple(public_statements(events))
        else:
            incident, stream = held.incident, Stream(events, held.fold)
            for event in events:
                incident = evolve(incident, event)
            statements = (*held.statements, *public_statements(events)) if events else held.statements
        assert incident is not None
        policy = await self.policies.version(tenant, incident.policy_version)
        read = IncidentRead(incident, stream_blocks(stream, policy, now), list(statements) if with_statements else None)
        key = (tenant, incident.id)
        again = self.held.peek(key)  # (another read of it may have gone further meanwhile)
        if again is None or again.version <= incident.version:
            self.held.put(key, HeldRead(incident, stream.folded(), statements), weight=incident.version)
        return read

    async def read_as_of(self, tenant: str, incident_id: uuid.UUID, as_of: datetime) -> IncidentRead:
        """The incident as the ledger knew it at `as_of`: only events recorded by then, SLA at then."""
        events = await self.known_at(tenant, incident_id, as_of)
        return replace(await self.render(tenant, events, as_of), statements=public_statements(events))

    async def known_at(self, tenant: str, incident_id: uuid.UUID, as_of: datetime) -> list[Event]:
        """The incident's events recorded by `as_of` (NotFound if it was not detected by then)."""
        events = [e for e in await self.history(tenant, incident_id) if e.recorded_at <= as_of]
        if not events:
            raise NotFound(f"incident {incident_id} not found as of {as_of.isoformat()}")
        return events

    async def for_review(
        self, tenant: str, incident_id: uuid.UUID, now: datetime, as_of: datetime | None = None
    ) -> ReviewRead:
        """What the post-incident review is written from: the whole stream measured at `now`, or
        with `as_of` the events recorded by then measured then (as `read_as_of` reads them)."""
        if as_of is None:
            # Whole seconds: two requests within a second give the same document even while
            # clocks run (every figure it shows is in whole seconds anyway). Never before the
            # last fact (an occurred_at may lie a little ahead): as the stored views measure.
            events = await self.history(tenant, incident_id)
            at = max(now.replace(microsecond=0), max(e.occurred_at for e in events))
        else:
            events, at = await self.known_at(tenant, incident_id, as_of), as_of
        incident = fold(events)
        assert incident is not None
        policy = await self.policies.version(tenant, incident.policy_version)
        return ReviewRead(events, policy, blocks(events, policy, at), at, as_of)

    async def render(self, tenant: str, events: list[Event], now: datetime) -> IncidentRead:
        incident = fold(events)
        assert incident is not None
        policy = await self.policies.version(tenant, incident.policy_version)
        return IncidentRead(incident, blocks(events, policy, now))

    async def list(
        self, tenant: str, flt: ListFilter, before: int | None, limit: int, now: datetime
    ) -> tuple[list[IncidentRead], str | None]:
        if flt.needs_views:
            await catch_up_all(self.store.pool, self.projections, tenant)
        rows = await list_page(self.store.pool, tenant, flt, before, limit + 1, now)
        page, more = rows[:limit], len(rows) > limit
        ids = [r["id"] for r in page]
        held = [self.held.get((tenant, iid)) for iid in ids]
        upto = [h.version if h is not None else 0 for h in held]
        by_incident: dict[uuid.UUID, list[Event]] = defaultdict(list)
        for row in await events_after_held(self.store.pool, tenant, ids, upto):
            by_incident[row["incident_id"]].append(event_from_row(row))
        reads = [
            await self._extend(tenant, h, by_incident[iid], now, with_statements=False)
            for iid, h in zip(ids, held, strict=True)
            if h is not None or by_incident[iid]
        ]
        next_cursor = str(page[-1]["created_position"]) if more and page else None
        return reads, next_cursor
