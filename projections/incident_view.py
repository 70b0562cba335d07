"""One incident's read side: the SLA and coverage blocks, the stored view row, the assignee spans.

Everything here is a pure function of the incident's events and its policy. A live read renders
at the clock's `now`; the stored view renders at `as_of` (the latest `occurred_at`), so that the
incremental model and a rebuild are identical; queries age it from there.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.plan import Policy, escalation_thresholds
from ledger.domain.reach import NO_REACH, Reach
from ledger.domain.rules import Incident, escalation_due, escalation_reached, evolve
from projections import coverage as cov
from projections import reach as reaches
from projections import sla as slas
from projections.provenance import is_public_statement
from schemas.blocks import CoverageBlock, Milestone, SlaBlock
from schemas.events import Detected, Happened


@dataclass(frozen=True)
class Blocks:
    sla: SlaBlock
    coverage: CoverageBlock


def blocks(events: Sequence[Happened], policy: Policy, now: datetime) -> Blocks:
    """The `sla` and `coverage` blocks of the API's incident, at `now`."""
    return _blocks(slas.sla_of(events, policy, now), cov.coverage_of(events, policy, now))


def stream_blocks(stream: Stream, policy: Policy, now: datetime) -> Blocks:
    """`blocks` of a stream that may extend a fold held from an earlier read: the SLA render
    resumes from that fold's replay where it may, and the stream keeps the new replay."""
    sla, stream.sla_replay = slas.render_resuming(stream.sla, policy, now, stream.sla_replay)
    return _blocks(sla, cov.render(stream.coverage, policy, now))


def _blocks(sla: slas.Sla, coverage: CoverageBlock) -> Blocks:
    return Blocks(sla=sla.block(), coverage=coverage)


def as_of(events: Sequence[Happened]) -> datetime:
    return max(e.occurred_at for e in events)


class ViewRow(msgspec.Struct, frozen=True):
    """An incident's row in `incident_views` but for `tenant_id`, which the writing statement
    supplies. Sent to PostgreSQL as JSON, one document per batch (projections.runner)."""

    incident_id: UUID
    version: int
    status: str
    severity: str
    scenario: str | None
    channel: str
    start_at: datetime
    policy_version: int
    as_of: datetime
    ack_target: int | None
    ack_status: str | None
    ack_due_at: datetime | None
    ack_met_at: datetime | None
    ack_elapsed: int | None
    first_target: int | None
    first_status: str | None
    first_due_at: datetime | None
    first_met_at: datetime | None
    first_elapsed: int | None
    resolve_target: int | None
    resolve_status: str | None
    resolve_due_at: datetime | None
    resolve_met_at: datetime | None
    resolve_elapsed: int | None
    update_target: int | None
    update_status: str | None
    update_next_due_at: datetime | None
    update_gap_seconds: list[int]
    update_gap_breached: list[bool]
    update_unanswered: int
    required_roles: list[str]
    missing_roles: list[str]
    full_coverage_at: datetime | None
    uncovered_seconds: dict[str, int]
    missing_at_ack_due: list[str] | None
    peak_reach: int | None
    latest_reach: int | None
    # An escalation suggestion is due (ledger.domain.rules.escalation_due): the breach watch records it.
    escalation_due: bool


def _milestone(m: Milestone | None) -> tuple[Any, ...]:
    if m is None:
        return (None, None, None, None, None)
    return (m.target_seconds, m.status, m.due_at, m.met_at, m.elapsed_seconds)


@dataclass(frozen=True)
class Folded:
    """An incident's stream folded up to `version`: all its view row, its spans, the decider's
    state and its count of public statements are made of. Events never change, so a fold of a
    stream's first events stays the fold of those events. What a stored snapshot holds
    (projections.snapshots), but for the replay."""

    incident_id: Any
    version: int
    first: Detected
    as_of: datetime
    sla: slas.SlaState
    coverage: cov.CoverageState
    incident: Incident  # the decider's state: also its reach and the escalations suggested
    statements: int  # the public statements among the events
    # The SLA render's replay of `sla` (or of its first facts), for the next render to resume.
    sla_replay: slas.Replay | None = None


@dataclass(frozen=True)
class _Head:
    """The folds of a stream besides its SLA and coverage: the decider's state and the rest."""

    incident: Incident
    statements: int


class Stream:
    """One incident's stream, folded at most once however many projections read it: `events` are
    the events after `base` (a fold of the stream's first events), or all of them without one."""

    def __init__(self, events: Sequence[Happened], base: Folded | None = None) -> None:
        assert events or base is not None
        self.events = events
        self.base = base
        self._sla: slas.SlaState | None = None
        self._coverage: cov.CoverageState | None = None
        self._head: _Head | None = None
        self._reach: Reach | None = None
        self.sla_replay: slas.Replay | None = base.sla_replay if base is not None else None

    @property
    def incident_id(self) -> Any:
        return self.base.incident_id if self.base is not None else self.events[0].incident_id

    @property
    def first(self) -> Detected:
        first = self.base.first if self.base is not None else self.events[0].data
        assert isinstance(first, Detected)
        return first

    @property
    def version(self) -> int:
        if self.events:
            return self.events[-1].version or 0
        assert self.base is not None
        return self.base.version

    @property
    def as_of(self) -> datetime:
        if self.base is None:
            return as_of(self.events)
        return max(self.base.as_of, as_of(self.events)) if self.events else self.base.as_of

    @property
    def sla(self) -> slas.SlaState:
        if self._sla is None:
            self._sla = slas.fold(self.events, self.base.sla if self.base is not None else slas.INITIAL)
        return self._sla

    @property
    def coverage(self) -> cov.CoverageState:
        if self._coverage is None:
            self._coverage = cov.fold(self.events, self.base.coverage if self.base is not None else cov.INITIAL)
        return self._coverage

    @property
    def reach(self) -> Reach:
        """The reach figures, as the decider's state holds them: folded from the detection and the
        signals alone while that state is not (a rebuild's view needs no more of it)."""
        if self._head is not None:
            return self._head.incident.reach
        if self._reach is None:
            self._reach = reaches.fold(self.events, self.base.incident.reach if self.base is not None else NO_REACH)
        return self._reach

    @property
    def incident(self) -> Incident:
        return self._folded_head().incident

    @property
    def statements(self) -> int:
        return self._folded_head().statements

    def _folded_head(self) -> _Head:
        if self._head is None:
            base = self.base
            state = base.incident if base is not None else None
            statements = base.statements if base is not None else 0
            for event in self.events:
                state = evolve(state, event)
                statements += is_public_statement(event.data)
            assert state is not None
            self._head = _Head(state, statements)
        return self._head

    def folded(self) -> Folded:
        head = self._folded_head()
        return Folded(
            self.incident_id,
            self.version,
            self.first,
            self.as_of,
            self.sla,
            self.coverage,
            head.incident,
            head.statements,
            self.sla_replay,
        )

    def marks(self, every: int) -> list[Folded]:
        """The folds at each multiple of `every` after the base's version, up to this stream's:
        folded once, a part at a time, this stream's own folds resuming from the last of them."""
        start = self.base.version if self.base is not None else 0
        marks = range((start // every + 1) * every, self.version + 1, every)
        if not marks:
            return []
        folds, base, i = [], self.base, 0
        for mark in marks:
            j = bisect.bisect_right(self.events, mark, key=lambda e: e.version or 0)
            base = Stream(self.events[i:j], base).folded()
            folds.append(base)
            i = j
        rest = Stream(self.events[i:], base)
        self._sla = self._sla or rest.sla
        self._coverage = self._coverage or rest.coverage
        self._head = self._head or rest._folded_head()
        return folds


def _stream(events: Stream | Sequence[Happened]) -> Stream:
    return events if isinstance(events, Stream) else Stream(events)


def stored_row(stream: Stream | Sequence[Happened], policy: Policy) -> ViewRow:
    """The incident's `incident_views` row."""
    stream = _stream(stream)
    first = stream.first
    at = stream.as_of
    sla_state = stream.sla
    if stream.base is None:  # (a whole stream: a rebuild's, or a fold not held; nothing to resume)
        sla = slas.render(sla_state, policy, at)
    else:  # (the runner extending a fold it keeps: resume its replay, keep the new one with it)
        sla, stream.sla_replay = slas.render_resuming(sla_state, policy, at, stream.sla_replay)
    cov_state = stream.coverage
    coverage = cov.render(cov_state, policy, at)
    update = sla.update
    reach = stream.reach
    thresholds = escalation_thresholds(policy)
    # The decider's state says whether a reached threshold was suggested already; it is folded only
    # for an incident that reached one (the coverage fold's status and severity are the state's).
    reached = escalation_reached(cov_state.severity, cov_state.open, reach.peak, thresholds)
    return ViewRow(
        stream.incident_id,
        stream.version,
        "open" if cov_state.open else "resolved",
        cov_state.severity,
        first.scenario,
        str(first.channel),
        sla_state.start,
        first.policy_version,
        at,
        *_milestone(sla.acknowledge),
        *_milestone(sla.first_response),
        *_milestone(sla.resolve),
        update.target_seconds if update else None,
        update.status if update else None,
        update.next_due_at if update else None,
        list(update.gap_seconds) if update else [],
        list(update.gap_breached) if update else [],
        update.unanswered_breaches if update else 0,
        list(coverage.required),
        list(coverage.missing),
        coverage.full_coverage_at,
        coverage.uncovered_seconds,
        _missing_at_ack_due(cov_state, policy, sla.acknowledge, at),
        reach.peak,
        reach.latest,
        reached is not None and escalation_due(stream.incident, thresholds) is not None,
    )


def _missing_at_ack_due(
    state: cov.CoverageState, policy: Policy, ack: Milestone | None, at: datetime
) -> list[str] | None:
    """Roles missing when the acknowledgement target passed; None while it is still ahead."""
    if ack is None or ack.due_at is None:
        return []
    due = ack.due_at
    if due > at and state.open:
        return None  # not passed yet as far as the events go: the query ages it
    return cov.missing_at(state, policy, due) if cov.open_at(state, due) else []


def assignee_spans(stream: Stream | Sequence[Happened]) -> list[tuple[str, int, datetime, datetime | None]]:
    """Per assignee, the merged spans during which they held any role while the incident was open."""
    state = _stream(stream).coverage
    open_spans = cov.open_intervals(state)
    by_assignee: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for hold in state.holds:
        for o_start, o_end in open_spans:
            start = max(hold.since, o_start)
            end = _min_end(hold.until, o_end)
            if end is None or end > start:
                by_assignee.setdefault(hold.assignee, []).append((start, end))
    rows = []
    for assignee, spans in sorted(by_assignee.items()):
        for seq, (start, end) in enumerate(_merge(spans)):
            rows.append((assignee, seq, start, end))
    return rows


def _min_end(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _merge(spans: list[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None or start <= last_end:
                new_end = None if last_end is None or end is None else max(last_end, end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged
