"""The SLA render's replay: an incident's timeline facts (projections.sla folds them) stepped
through in `occurred_at` order against the policy, each milestone a clock that is met, breached
or cancelled; the rules it applies are written out in projections/sla.py's docstring."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from ledger.domain.calendar import add_business_seconds, elapsed_seconds
from ledger.domain.plan import Policy, calendar_of, target_of
from schemas.blocks import Milestone, UpdateBlock
from schemas.blocks import MilestoneStatus as Status
from schemas.policy import Target

FactKind = Literal["severity", "ack", "reply", "resolved", "reopened"]


class Fact(msgspec.Struct, frozen=True, kw_only=True):
    """One timeline fact: `at` is the effective `occurred_at`, `seq` the recorded order."""

    at: datetime
    seq: int
    kind: FactKind
    event_id: UUID
    severity: str | None = None


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


class Run:
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

    def copy(self) -> Run:
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
