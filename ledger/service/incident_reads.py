"""Reading incidents: one by folding its events (always current), lists from the stream table and views.

A read extends the folds the process's fold cache holds of the incident (projections.fold_cache:
left by an earlier read, by the runner, or by the write side) with the events after them: only
those are read from the table and folded, and the SLA render resumes. Events never change, so
the read is exactly the read of the whole stream, at a cost that follows what was appended
since, not the incident's length."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ledger.domain.errors import NotFound
from ledger.domain.plan import Policy
from ledger.domain.rules import Incident, evolve, fold
from ledger.store.events import EventStore, event_from_row
from ledger.store.incidents import events_after_held, incident_exists
from ledger.store.policies import PolicyStore
from projections.fold_cache import FoldCache, IncidentFolds, Statements
from projections.incident_view import Blocks, Stream, blocks, stream_blocks
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


class IncidentReader:
    def __init__(
        self,
        store: EventStore,
        policies: PolicyStore,
        projections: dict[str, Projection],
        folds: FoldCache | None = None,
    ) -> None:
        self.store = store
        self.policies = policies
        self.projections = projections
        self.folds = folds if folds is not None else FoldCache()

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
        those after the folds held of it, or all of them."""
        held = self.folds.get(tenant, incident_id)
        after = held.upto() if held is not None else 0
        if after == 0:
            events = await self.history(tenant, incident_id)
        else:
            events = await self.store.read_stream(tenant, incident_id, after=after)
        return await self._extend(tenant, held, after, events, now)

    async def _extend(
        self,
        tenant: str,
        held: IncidentFolds | None,
        after: int,
        events: Sequence[Event],
        now: datetime,
        *,
        with_statements: bool = True,
    ) -> IncidentRead:
        """The read at `now` of an incident of which `held` was held, given its `events` after
        version `after` (0: all of them). Each fold is extended with the events after its own
        version, and kept; the statements too where the events reach back to them, and the
        read lists them `with_statements`."""
        held = held or IncidentFolds()
        incident = held.state
        for event in _newer(events, incident.version if incident is not None else 0):
            incident = evolve(incident, event)
        assert incident is not None
        view = held.view
        stream = Stream(_newer(events, view.version), view) if view is not None else Stream(events)
        statements = held.statements
        if (statements.version if statements is not None else 0) >= after:
            earlier = statements.items if statements is not None else ()
            newer = _newer(events, statements.version if statements is not None else 0)
            statements = Statements(incident.version, (*earlier, *public_statements(newer)))
        policy = await self.policies.version(tenant, incident.policy_version)
        read = IncidentRead(incident, stream_blocks(stream, policy, now))
        self.folds.keep(tenant, incident.id, state=incident, view=stream.folded(), statements=statements)
        if with_statements:
            assert statements is not None and statements.version == incident.version
            return replace(read, statements=list(statements.items))
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
            await catch_up_all(self.store.pool, self.projections, tenant, self.folds)
        rows = await list_page(self.store.pool, tenant, flt, before, limit + 1, now)
        page, more = rows[:limit], len(rows) > limit
        ids = [r["id"] for r in page]
        held = [self.folds.get(tenant, iid) for iid in ids]
        upto = [h.upto(statements=False) if h is not None else 0 for h in held]
        by_incident: dict[uuid.UUID, list[Event]] = defaultdict(list)
        for row in await events_after_held(self.store.pool, tenant, ids, upto):
            by_incident[row["incident_id"]].append(event_from_row(row))
        reads = [
            await self._extend(tenant, h, after, by_incident[iid], now, with_statements=False)
            for iid, h, after in zip(ids, held, upto, strict=True)
            if h is not None or by_incident[iid]
        ]
        next_cursor = str(page[-1]["created_position"]) if more and page else None
        return reads, next_cursor


def _newer(events: Sequence[Event], version: int) -> Sequence[Event]:
    """`events` (in version order) after `version`."""
    if not events or (events[0].version or 0) > version:
        return events
    return [e for e in events if (e.version or 0) > version]
