"""Reading incidents: one by folding its events (always current), lists from the stream table and views.

A read resumes from the view fold the process's fold cache holds of the incident (left by an
earlier read, by the runner, or by the write side), else from the incident's latest stored
snapshot (projections.snapshots), and folds only the events after it, a page at a time; the SLA
render resumes too. Events never change, so the read is exactly the read of the whole stream, at
a cost that follows what was appended since, not the incident's length. A read as of a past
instant resumes from the latest snapshot whose events were all recorded by then.

An incident carries its latest few public statements and their count; all of them are paged by
`statements`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.domain.errors import NotFound
from ledger.domain.plan import Policy
from ledger.domain.rules import Incident, fold
from ledger.store.events import EventStore, event_from_row
from ledger.store.incidents import events_after_held, incident_exists, latest_statements, statements_after
from ledger.store.policies import PolicyStore
from projections import snapshots
from projections.fold_cache import FoldCache, Statements
from projections.incident_view import Blocks, Folded, Stream, blocks, stream_blocks
from projections.provenance import public_statements
from projections.runner import Projection, catch_up_all
from projections.view_queries import ListFilter, list_page
from schemas.api import StatementOut
from schemas.events import Detected, Event

# The public statements an incident carries (the latest; all of them: GET .../statements).
LATEST_STATEMENTS = 20
_FOREVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IncidentRead:
    incident: Incident
    blocks: Blocks
    # Single reads only: the latest public replies' provenance, and how many there are.
    statements: list[StatementOut] | None = None
    statements_count: int | None = None


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
        those after the view fold held of it, or after its latest snapshot, or all of them."""
        held = self.folds.get(tenant, incident_id)
        stream = await self._current(tenant, incident_id, held.view if held is not None else None)
        statements = await self._latest(tenant, incident_id, stream, held.statements if held is not None else None)
        incident = stream.incident
        policy = await self.policies.version(tenant, incident.policy_version)
        read = IncidentRead(incident, stream_blocks(stream, policy, now), list(statements.items), stream.statements)
        self.folds.keep(tenant, incident_id, state=incident, view=stream.folded(), statements=statements)
        return read

    async def _current(self, tenant: str, incident_id: uuid.UUID, held: Folded | None) -> Stream:
        """The incident's whole stream as a Stream over the fold it resumes from: the `held` fold
        (or, if that is more than a page behind, the latest snapshot when it is later), else the
        latest snapshot, else the start."""
        if held is not None:
            page = await self.store.read_stream(tenant, incident_id, held.version, limit=snapshots.PAGE)
            if len(page) < snapshots.PAGE:
                return Stream(page, held)
            stored = await snapshots.latest(self.store.pool, tenant, incident_id)
            base = stored if stored is not None and stored.version > page[-1].version else Stream(page, held).folded()
        else:
            base = await snapshots.latest(self.store.pool, tenant, incident_id)
        stream = await snapshots.stream_from(self.store, tenant, incident_id, base)
        if stream is None:
            # Another tenant's incident and a missing one answer alike.
            raise NotFound(f"incident {incident_id} not found")
        return stream

    async def _latest(self, tenant: str, incident_id: uuid.UUID, stream: Stream, held: Statements | None) -> Statements:
        """The latest public statements up to the stream's version: those `held`, extended with the
        newer ones (the fold counts them: none is the usual case, after notes and the like), from
        the stream's events where they reach back to them, else from the table."""
        count = stream.statements
        if held is None or held.version > stream.version:
            said = await latest_statements(
                self.store.pool, tenant, incident_id, stream.version, _FOREVER, LATEST_STATEMENTS
            )
            return Statements(stream.version, count, tuple(public_statements(said)))
        new = count - held.count
        if new == 0:
            return Statements(stream.version, count, held.items)
        start = stream.base.version if stream.base is not None else 0
        if start <= held.version:
            newer = public_statements(e for e in stream.events if (e.version or 0) > held.version)
        elif new <= LATEST_STATEMENTS:  # (exactly the `new` ones: the first after what is held)
            newer = public_statements(await statements_after(self.store.pool, tenant, incident_id, held.version, new))
        else:
            return await self._latest(tenant, incident_id, stream, None)
        return Statements(stream.version, count, (*held.items, *newer)[-LATEST_STATEMENTS:])

    async def read_as_of(self, tenant: str, incident_id: uuid.UUID, as_of: datetime) -> IncidentRead:
        """The incident as the ledger knew it at `as_of`: only events recorded by then, SLA at then;
        folded from the latest snapshot of events all recorded by then (not kept: invariant 1 of
        projections.fold_cache)."""
        base = await snapshots.latest(self.store.pool, tenant, incident_id, as_of=as_of)
        stream = await snapshots.stream_from(self.store, tenant, incident_id, base, as_of=as_of)
        if stream is None:
            raise NotFound(f"incident {incident_id} not found as of {as_of.isoformat()}")
        incident = stream.incident
        policy = await self.policies.version(tenant, incident.policy_version)
        said = await latest_statements(self.store.pool, tenant, incident_id, stream.version, as_of, LATEST_STATEMENTS)
        return IncidentRead(incident, stream_blocks(stream, policy, as_of), public_statements(said), stream.statements)

    async def statements(self, tenant: str, incident_id: uuid.UUID, after: int, limit: int) -> list[StatementOut]:
        """A page of the incident's public statements after version `after`, in recorded order."""
        page = public_statements(await statements_after(self.store.pool, tenant, incident_id, after, limit))
        if not page:
            await self.require(tenant, incident_id)  # 404 for an unknown incident, [] past its end
        return page

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

    async def list(
        self, tenant: str, flt: ListFilter, before: int | None, limit: int, now: datetime
    ) -> tuple[list[IncidentRead], str | None]:
        if flt.needs_views:
            await catch_up_all(self.store.pool, self.projections, tenant, self.folds)
        rows = await list_page(self.store.pool, tenant, flt, before, limit + 1, now)
        page, more = rows[:limit], len(rows) > limit
        held = {r["id"]: self.folds.get(tenant, r["id"]) for r in page}
        bases = await snapshots.bases(
            self.store.pool, tenant, {i: h.view if h is not None else None for i, h in held.items()}, None
        )
        streams = await self._streams(tenant, [(r["id"], r["version"]) for r in page], bases)
        reads = []
        for row in page:
            stream = streams.get(row["id"])
            if stream is None:
                continue
            incident = stream.incident
            policy = await self.policies.version(tenant, incident.policy_version)
            reads.append(IncidentRead(incident, stream_blocks(stream, policy, now)))
            self.folds.keep(tenant, row["id"], state=incident, view=stream.folded())
        next_cursor = str(page[-1]["created_position"]) if more and page else None
        return reads, next_cursor

    async def _streams(
        self, tenant: str, listed: Sequence[tuple[uuid.UUID, int]], bases: dict[uuid.UUID, Folded | None]
    ) -> dict[uuid.UUID, Stream]:
        """The listed incidents' streams after their bases: read together, a page of events at a
        time by what the list says each has, an incident with more than a page alone and paged."""
        streams: dict[uuid.UUID, Stream] = {}
        chunk: list[uuid.UUID] = []
        events = 0
        for incident_id, version in listed:
            base = bases.get(incident_id)
            behind = version - (base.version if base is not None else 0)
            if behind > snapshots.PAGE:
                alone = await snapshots.stream_from(self.store, tenant, incident_id, base)
                if alone is not None:
                    streams[incident_id] = alone
                continue
            if events + behind > snapshots.PAGE:
                streams.update(await self._together(tenant, chunk, bases))
                chunk, events = [], 0
            chunk.append(incident_id)
            events += behind
        streams.update(await self._together(tenant, chunk, bases))
        return streams

    async def _together(
        self, tenant: str, ids: list[uuid.UUID], bases: dict[uuid.UUID, Folded | None]
    ) -> dict[uuid.UUID, Stream]:
        if not ids:
            return {}
        after = [base.version if (base := bases[i]) is not None else 0 for i in ids]
        found: dict[uuid.UUID, list[Event]] = {i: [] for i in ids}
        for row in await events_after_held(self.store.pool, tenant, ids, after):
            found[row["incident_id"]].append(event_from_row(row))
        return {i: Stream(found[i], bases[i]) for i in ids if bases[i] is not None or found[i]}
