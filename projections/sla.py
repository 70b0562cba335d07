"""The SLA block of one incident: `apply` folds events into timeline facts, `render` measures them.

`apply(state, event)` only records facts (it needs no policy and no clock), so the same fold
serves a live read, a stored read model and a rebuild; `render(state, policy, now)` replays the
facts in `occurred_at` order against the policy the incident is measured against.

Interpretation choices (PRODUCT.md, "SLA metrics", is the authority; these fill its gaps):

- Times are `occurred_at` only. Acknowledgements and public replies count by their own
  `occurred_at` ("earliest" means earliest `occurred_at`, whatever the arrival order).
- Severity changes, resolutions and reopens are *state changes*: their order is the recorded
  order (the current severity is the latest recorded one; status alternates resolved/reopened).
  A backdated one takes effect at `max(its occurred_at, the previous change of its kind)`, never
  before the detection, so the replay can never contradict the recorded order.
- Ties at the same instant are replayed in recorded order.
- A due time is an instant. A fulfilment at exactly `due_at` is met, after it breached. A pending
  milestone is breached (`breached_at = due_at`) as soon as the replay passes its due time, and at
  `render` when `due_at <= now`. This module is the authority; the queries over stored views
  apply the same rule in SQL, written once in `projections/view_queries.py` (`past_due`, `overdue`).
- Escalation (any `severity_changed`): pending milestones and the running update gap take the new
  target (`start + target`, added in the target's calendar); if the new due is not after the
  change, they breach at once with `breached_at` = the change's `occurred_at`. Settled milestones
  keep their target and due.
- Resolution fulfils `resolve`; it breaches pending milestones whose due is at or before it and
  cancels the others. A running update gap already overdue at the resolution counts as a breach
  (`unanswered_breaches`); one not yet due is dropped.
- Reopen: `resolve` is pending again with its original due, and breaches at once (at the
  reopen's `occurred_at`) if that due has passed; a `resolve` already breached stays breached.
  `met_at` is cleared until the next resolution (`elapsed_seconds` = start -> latest
  resolution); the first resolution stays in `Sla.first_resolved_at`. A milestone cancelled by
  the resolution (acknowledge, first_response) becomes pending again, since the incident is open
  again, with the same rule (breached at once if its due passed while resolved). Met and
  breached ones keep their outcome. The update clock restarts from the reopen.
- Update: gaps run between consecutive public replies while open (the first public reply, or a
  reopen, starts the clock). A gap's due is its anchor + the current update target in its
  calendar. Gaps that complete while the severity has no update target are not measured.
  `breaches` = completed gaps over target + `unanswered_breaches` (overdue gaps that never got a
  reply: cut by a resolution, or still running). A report counts `gaps + unanswered_breaches`
  samples. `due_at` = `next_due_at` = the running gap's due while open, else null.
- A milestone whose target is null is omitted (`None`) at the current severity. One fulfilled
  while it had no target is settled when a target appears (met if fulfilled by the new due).
- `elapsed_seconds` are counted in the calendar of the milestone's target, floored.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import msgspec

from ledger.domain.calendar import add_business_seconds, elapsed_seconds
from ledger.domain.plan import Policy, calendar_of, target_of
from schemas.blocks import Milestone, SlaBlock, UpdateBlock
from schemas.blocks import MilestoneStatus as Status
from schemas.events import (
    Acknowledged,
    Detected,
    Happened,
    Reopened,
    Replied,
    Resolved,
    SeverityChanged,
    Visibility,
)
from schemas.policy import Target

FactKind = Literal["severity", "ack", "reply", "resolved", "reopened"]


class Sla(msgspec.Struct, frozen=True, kw_only=True):
    """The measured milestones (the API's block: `block()`) and the first resolution."""

    acknowledge: Milestone | None
    first_response: Milestone | None
    update: UpdateBlock | None
    resolve: Milestone | None
    first_resolved_at: datetime | None = None

    def block(self) -> SlaBlock:
        return SlaBlock(
            acknowledge=self.acknowledge,
            first_response=self.first_response,
            update=self.update,
            resolve=self.resolve,
        )


class Fact(msgspec.Struct, frozen=True, kw_only=True):
    """One timeline fact: `at` is the effective `occurred_at`, `seq` the recorded order."""

    at: datetime
    seq: int
    kind: FactKind
    event_id: UUID
    severity: str | None = None


class SlaState(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None = None
    severity: str | None = None
    initial_severity: str | None = None
    open: bool = False
    facts: tuple[Fact, ...] = ()
    last_severity_at: datetime | None = None
    last_lifecycle_at: datetime | None = None
    seq: int = 0


INITIAL = SlaState()


def apply(state: SlaState, event: Happened) -> SlaState:
    """Fold one event (in recorded order) into the timeline facts."""
    state, fact = _next(state, event)
    return state if fact is None else msgspec.structs.replace(state, facts=(*state.facts, fact))


def fold(events: Iterable[Happened], state: SlaState = INITIAL) -> SlaState:
    """`apply` over `events`, the new facts gathered and the tuple built once (applying them
    one by one would copy the facts at every fact: a long incident's fold grew with its square)."""
    added: list[Fact] = []
    for event in events:
        state, fact = _next(state, event)
        if isinstance(event.data, Detected):
            added.clear()  # (a detection starts the facts afresh)
        if fact is not None:
            added.append(fact)
    return msgspec.structs.replace(state, facts=(*state.facts, *added)) if added else state


def _next(state: SlaState, event: Happened) -> tuple[SlaState, Fact | None]:
    """The state after `event` but for the fact it adds (if any), given beside it: the caller
    appends it. Reads no facts."""
    at = event.occurred_at.astimezone(UTC)
    seq = state.seq + 1
    match event.data:
        case Detected(severity=severity):
            detected = SlaState(
                start=at,
                severity=str(severity),
                initial_severity=str(severity),
                open=True,
                last_severity_at=at,
                last_lifecycle_at=at,
                seq=seq,
            )
            return detected, None
        case _ if state.start is None:
            return state, None
        case Acknowledged():
            return msgspec.structs.replace(state, seq=seq), Fact(at=at, seq=seq, kind="ack", event_id=event.id)
        case Replied(visibility=Visibility.PUBLIC):
            return msgspec.structs.replace(state, seq=seq), Fact(at=at, seq=seq, kind="reply", event_id=event.id)
        case SeverityChanged(severity=severity):
            eff = max(at, state.last_severity_at or at)
            fact = Fact(at=eff, seq=seq, kind="severity", event_id=event.id, severity=str(severity))
            return msgspec.structs.replace(state, severity=str(severity), last_severity_at=eff, seq=seq), fact
        case Resolved() | Reopened():
            eff = max(at, state.last_lifecycle_at or at)
            kind: FactKind = "resolved" if isinstance(event.data, Resolved) else "reopened"
            fact = Fact(at=eff, seq=seq, kind=kind, event_id=event.id)
            return msgspec.structs.replace(state, open=kind == "reopened", last_lifecycle_at=eff, seq=seq), fact
        case _:
            return msgspec.structs.replace(state, seq=seq), None


def sla_of(events: Iterable[Happened], policy: Policy, now: datetime) -> Sla:
    """The SLA block of one incident's events (recorded order) at `now`."""
    return render(fold(events), policy, now)


def render(state: SlaState, policy: Policy, now: datetime) -> Sla:
    """Measure the timeline facts against `policy` at `now`."""
    run, _ = _replay(state, policy, None)
    return _measure(run, now)


@dataclass(frozen=True)
class Replay:
    """A replay of the first `upto` facts of an incident's SlaState (in recorded order) against
    `policy`, stopped before the final expiry. `last` is the sort key of the last fact replayed."""

    policy: Policy
    upto: int
    last: tuple[datetime, int] | None
    run: _Run  # (never stepped again: a render resumes from a copy)


def _key(fact: Fact) -> tuple[datetime, int]:
    return (fact.at, fact.seq)


def render_resuming(state: SlaState, policy: Policy, now: datetime, resume: Replay | None = None) -> tuple[Sla, Replay]:
    """`render`, and the replay it ended with, from which the render of a later fold of the same
    stream may resume (keeping it costs a copy of the replay: for folds that are kept).

    A render replays the facts in `occurred_at` order from the detection (facts may be recorded
    out of that order). With `resume` (a replay of this state's first facts, under this policy)
    and every newer fact sorting after the last one it replayed, the replay is the same sequence
    of steps from that point on, so it resumes there: a long incident's render costs its new
    facts, not all of them. Otherwise it replays them all."""
    run, last = _replay(state, policy, resume)
    replay = Replay(policy, len(state.facts), last, run.copy())
    return _measure(run, now), replay


def _replay(state: SlaState, policy: Policy, resume: Replay | None) -> tuple[_Run, tuple[datetime, int] | None]:
    """The replay of all of `state`'s facts (from `resume` where it may), and its last sort key."""
    if state.start is None or state.initial_severity is None:
        raise ValueError("no detection: an incident's first event is `detected`")
    newer = state.facts[resume.upto :] if resume is not None else state.facts
    if (
        resume is not None
        and resume.policy is policy
        and resume.upto <= len(state.facts)
        and resume.run.start == state.start
        and (resume.last is None or all(_key(f) > resume.last for f in newer))
    ):
        run, last = resume.run.copy(), resume.last
    else:
        run, last, newer = _Run(policy, state.start, state.initial_severity), None, state.facts
    for fact in sorted(newer, key=_key):
        run.step(fact)
        last = _key(fact)
    return run, last


def _measure(run: _Run, now: datetime) -> Sla:
    """The SLA block at `now` of a replay (which this expires: not to be stepped again)."""
    run.expire(now.astimezone(UTC), inclusive=True)
    return Sla(
        acknowledge=run.milestone("acknowledge"),
        first_response=run.milestone("first_response"),
        update=run.update_block(),
        resolve=run.milestone("resolve"),
        first_resolved_at=run.first_resolved_at,
    )


@dataclass
class _Clock:
    """A milestone during the replay."""

    metric: str
    target: Target | None = None
    due: datetime | None = None
    status: Status = "pending"
    met_at: datetime | None = None
    breached_at: datetime | None = None
    met_by: UUID | None = None


@dataclass
class _Gap:
    elapsed: int
    breached: bool
    breached_at: datetime | None


class _Run:
    """One replay of the facts; mutable inside `render` only."""

    def __init__(self, policy: Policy, start: datetime, severity: str) -> None:
        self.policy = policy
        self.start = start
        self.severity = severity
        self.open = True
        self.clocks = {m: _Clock(m) for m in ("acknowledge", "first_response", "resolve")}
        for clock in self.clocks.values():
            self._retarget(clock)
        self.anchor: datetime | None = None
        self.gap_due: datetime | None = None
        self.gap_breached_at: datetime | None = None
        self.gaps: list[_Gap] = []
        self.unanswered: list[datetime] = []
        self.first_resolved_at: datetime | None = None

    def copy(self) -> _Run:
        """An independent copy (the clocks are mutable; gaps, once appended, are not)."""
        twin = copy.copy(self)
        twin.clocks = {metric: replace(clock) for metric, clock in self.clocks.items()}
        twin.gaps = list(self.gaps)
        twin.unanswered = list(self.unanswered)
        return twin

    # -- helpers -------------------------------------------------------------------------------

    def _due(self, target: Target | None, anchor: datetime) -> datetime | None:
        if target is None:
            return None
        return add_business_seconds(calendar_of(self.policy, target), anchor, target.seconds)

    def _retarget(self, clock: _Clock) -> None:
        clock.target = target_of(self.policy, self.severity, clock.metric)
        clock.due = self._due(clock.target, self.start)

    def _fulfil(self, clock: _Clock, at: datetime, event_id: UUID) -> None:
        if clock.met_at is not None:
            return  # the earliest fulfilment counts (facts are replayed in occurred_at order)
        clock.met_at, clock.met_by = at, event_id
        if clock.status == "breached" or clock.due is None:
            return
        if at <= clock.due:
            clock.status = "met"
        else:
            clock.status, clock.breached_at = "breached", clock.due

    def _update_target(self) -> Target | None:
        return target_of(self.policy, self.severity, "update")

    def _start_gap(self, at: datetime) -> None:
        self.anchor = at
        self.gap_due = self._due(self._update_target(), at)
        self.gap_breached_at = None

    def _stop_gap(self) -> None:
        self.anchor = self.gap_due = self.gap_breached_at = None

    # -- replay --------------------------------------------------------------------------------

    def expire(self, at: datetime, *, inclusive: bool = False) -> None:
        """Breach what fell due before `at` (at or before, when `inclusive`)."""

        def passed(due: datetime | None) -> bool:
            return due is not None and (due < at or (inclusive and due <= at))

        for clock in self.clocks.values():
            if clock.status == "pending" and clock.met_at is None and passed(clock.due):
                clock.status, clock.breached_at = "breached", clock.due
        if self.anchor is not None and self.gap_breached_at is None and passed(self.gap_due):
            self.gap_breached_at = self.gap_due

    def step(self, fact: Fact) -> None:
        at = fact.at
        self.expire(at)
        match fact.kind:
            case "severity":
                self._escalate(at, fact.severity or self.severity)
            case "ack":
                self._fulfil(self.clocks["acknowledge"], at, fact.event_id)
            case "reply":
                self._reply(at, fact.event_id)
            case "resolved":
                self._resolve(at, fact.event_id)
            case "reopened":
                self._reopen(at)

    def _escalate(self, at: datetime, severity: str) -> None:
        self.severity = severity
        for clock in self.clocks.values():
            if clock.status != "pending":
                continue
            self._retarget(clock)
            if clock.due is None:
                continue
            if clock.met_at is not None:  # fulfilled while it had no target: settle it now
                met = clock.met_at <= clock.due
                clock.status = "met" if met else "breached"
                clock.breached_at = None if met else clock.due
            elif clock.due <= at:
                clock.status, clock.breached_at = "breached", at
        if self.anchor is not None:
            self.gap_due = self._due(self._update_target(), self.anchor)
            if self.gap_breached_at is None and self.gap_due is not None and self.gap_due <= at:
                self.gap_breached_at = at

    def _reply(self, at: datetime, event_id: UUID) -> None:
        self._fulfil(self.clocks["first_response"], at, event_id)
        if not self.open:
            return
        if self.anchor is not None:
            target = self._update_target()
            if target is not None:
                breached = self.gap_breached_at is not None or (self.gap_due is not None and at > self.gap_due)
                self.gaps.append(
                    _Gap(
                        elapsed=elapsed_seconds(calendar_of(self.policy, target), self.anchor, at),
                        breached=breached,
                        breached_at=self.gap_breached_at or (self.gap_due if breached else None),
                    )
                )
        self._start_gap(at)

    def _resolve(self, at: datetime, event_id: UUID) -> None:
        self.open = False
        if self.first_resolved_at is None:
            self.first_resolved_at = at
        self._fulfil(self.clocks["resolve"], at, event_id)
        for clock in (self.clocks["acknowledge"], self.clocks["first_response"]):
            if clock.status != "pending" or clock.met_at is not None:
                continue
            if clock.due is not None and clock.due <= at:
                clock.status, clock.breached_at = "breached", clock.due
            else:
                clock.status = "cancelled"
        if self.anchor is not None:
            overdue = self.gap_breached_at or (
                self.gap_due if self.gap_due is not None and self.gap_due <= at else None
            )
            if overdue is not None:
                self.unanswered.append(overdue)
        self._stop_gap()

    def _reopen(self, at: datetime) -> None:
        self.open = True
        for clock in (self.clocks["acknowledge"], self.clocks["first_response"]):
            if clock.status == "cancelled":
                clock.status = "pending"
                self._retarget(clock)
                if clock.due is not None and clock.due <= at:
                    clock.status, clock.breached_at = "breached", at
        resolve = self.clocks["resolve"]
        resolve.met_at = resolve.met_by = None
        if resolve.status == "met":
            resolve.status = "pending"
            if resolve.due is not None and resolve.due <= at:
                resolve.status, resolve.breached_at = "breached", at
        self._start_gap(at)

    # -- output --------------------------------------------------------------------------------

    def milestone(self, metric: str) -> Milestone | None:
        clock = self.clocks[metric]
        if target_of(self.policy, self.severity, metric) is None or clock.target is None:
            return None
        elapsed = None
        if clock.met_at is not None:
            elapsed = elapsed_seconds(calendar_of(self.policy, clock.target), self.start, clock.met_at)
        return Milestone(
            target_seconds=clock.target.seconds,
            calendar=clock.target.calendar,
            due_at=clock.due,
            status=clock.status,
            met_at=clock.met_at,
            breached_at=clock.breached_at,
            elapsed_seconds=elapsed,
            met_by_event_id=clock.met_by,
        )

    def update_block(self) -> UpdateBlock | None:
        target = self._update_target()
        if target is None:
            return None
        unanswered = list(self.unanswered)
        running_due = self.gap_due if self.open and self.anchor is not None else None
        if self.open and self.gap_breached_at is not None:
            unanswered.append(self.gap_breached_at)
        gap_seconds = [g.elapsed for g in self.gaps]
        gap_breached = [g.breached for g in self.gaps]
        breaches = sum(gap_breached) + len(unanswered)
        breach_times = [g.breached_at for g in self.gaps if g.breached_at is not None] + unanswered
        status: Status
        if breaches:
            status = "breached"
        elif not self.open:
            status = "met" if self.gaps else "cancelled"
        else:
            status = "pending"
        return UpdateBlock(
            target_seconds=target.seconds,
            calendar=target.calendar,
            status=status,
            due_at=running_due,
            breached_at=min(breach_times) if breach_times else None,
            next_due_at=running_due,
            gaps=len(gap_seconds),
            breaches=breaches,
            max_gap_seconds=max(gap_seconds) if gap_seconds else None,
            gap_seconds=gap_seconds,
            gap_breached=gap_breached,
            unanswered_breaches=len(unanswered),
        )
