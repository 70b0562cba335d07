"""Role coverage of one incident: `apply` folds events into holds and state changes, `render` measures.

Interpretation choices (PRODUCT.md, "Role coverage"):

- Who holds a role is paired in recorded order: each `assigned` opens a hold at its
  `occurred_at`; the matching `unassigned` (same role and assignee, recorded later) closes it at
  `max(its occurred_at, the hold's start)`, so a backdated unassignment can shorten a hold to
  nothing but never leaves it open. `assignments` (who holds what now) are the open holds.
- Severity changes, resolutions and reopens take effect in recorded order at
  `max(occurred_at, the previous change of the same kind, the detection)`, the same rule as the
  SLA block. Interval arithmetic then runs on those instants sorted by time, so backdated facts
  count from when they happened.
- `required` is what the current (latest recorded) severity requires, in the policy's order.
- `missing`: for an open incident, required roles with no open hold; for a resolved one, as at
  its (latest) resolution, where a hold ending exactly at the resolution still counts (wrap-up
  unassignments recorded at the same instant do not make roles "missing").
- `full_coverage_at`: the first instant, up to `now`, at which the incident was open and every
  role required at that instant's severity was held; it is kept after a later escalation.
- `uncovered_seconds`: per currently required role, the wall-clock seconds (floored) during
  which it was required by the severity then in force, the incident was open, and nobody held
  it, from the detection to `now` (resolved periods do not count). A role made required by an
  escalation counts from that escalation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import msgspec

from ledger.domain.plan import Policy, required_roles
from schemas.blocks import CoverageBlock
from schemas.events import Assigned, Detected, Happened, Reopened, Resolved, SeverityChanged, Unassigned

_ZERO = timedelta(0)


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    assignee: str
    since: datetime


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    assignee: str
    since: datetime
    until: datetime | None = None

    def holds_at(self, instant: datetime) -> bool:
        return self.since <= instant and (self.until is None or instant < self.until)


class CoverageState(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None = None
    severity: str | None = None
    open: bool = False
    holds: tuple[Hold, ...] = ()
    # (effective instant, severity) and (effective instant, open?) in recorded order; the
    # effective instants never decrease, so both are also sorted by time.
    severities: tuple[tuple[datetime, str], ...] = ()
    lifecycle: tuple[tuple[datetime, bool], ...] = ()


INITIAL = CoverageState()


def apply(state: CoverageState, event: Happened) -> CoverageState:
    """Fold one event (in recorded order)."""
    return fold((event,), state)


def fold(events: Iterable[Happened], state: CoverageState = INITIAL) -> CoverageState:
    """`apply` over `events`, the holds changed in one working list (made at the first change)
    and the tuple built once at the end (building it at every assignment grew a long
    incident's fold with the square of its holds)."""
    holds: list[Hold] | None = None
    for event in events:
        state, holds = _next(state, event, holds)
    return state if holds is None else msgspec.structs.replace(state, holds=tuple(holds))


def _next(state: CoverageState, event: Happened, holds: list[Hold] | None) -> tuple[CoverageState, list[Hold] | None]:
    """The state after `event` but for its holds, and the holds: `holds` (the working list, None
    while the holds are still `state.holds`), changed in place or made from `state.holds`."""
    at = event.occurred_at.astimezone(UTC)
    data = event.data
    kind = type(data)  # (exact types, not class patterns: see ledger.domain.rules.evolve)
    if kind is Detected:
        detected = CoverageState(
            start=at,
            severity=str(data.severity),
            open=True,
            severities=((at, str(data.severity)),),
            lifecycle=((at, True),),
        )
        return detected, []
    if state.start is None:
        return state, holds
    at = max(at, state.start)
    if kind is Assigned:
        holds = list(state.holds) if holds is None else holds
        holds.append(Hold(role=data.role, assignee=data.assignee, since=at))
        return state, holds
    if kind is Unassigned:
        current = state.holds if holds is None else holds
        for i in range(len(current) - 1, -1, -1):
            h = current[i]
            if h.role == data.role and h.assignee == data.assignee and h.until is None:
                holds = list(current) if holds is None else holds
                holds[i] = msgspec.structs.replace(h, until=max(at, h.since))
                return state, holds
        return state, holds
    if kind is SeverityChanged:
        severity = str(data.severity)
        eff = max(at, state.severities[-1][0])
        changed = msgspec.structs.replace(state, severity=severity, severities=(*state.severities, (eff, severity)))
        return changed, holds
    if kind is Resolved or kind is Reopened:
        is_open = kind is Reopened
        eff = max(at, state.lifecycle[-1][0])
        return msgspec.structs.replace(state, open=is_open, lifecycle=(*state.lifecycle, (eff, is_open))), holds
    return state, holds


def coverage_of(events: Iterable[Happened], policy: Policy, now: datetime) -> CoverageBlock:
    return render(fold(events), policy, now)


def assignments_of(state: CoverageState) -> list[Assignment]:
    """Who holds which role now, in the order they were assigned."""
    return [Assignment(role=h.role, assignee=h.assignee, since=h.since) for h in state.holds if h.until is None]


def _severity_at(state: CoverageState, instant: datetime) -> str:
    severity = state.severities[0][1]
    for at, sev in state.severities:
        if at > instant:
            break
        severity = sev
    return severity


def open_at(state: CoverageState, instant: datetime) -> bool:
    """Whether the incident was open at `instant`."""
    is_open = False
    for at, value in state.lifecycle:
        if at > instant:
            break
        is_open = value
    return is_open


def open_intervals(state: CoverageState) -> list[tuple[datetime, datetime | None]]:
    """The [opened, resolved) intervals of the incident; the last one open-ended while open."""
    spans: list[tuple[datetime, datetime | None]] = []
    opened: datetime | None = None
    for at, is_open in state.lifecycle:
        if is_open and opened is None:
            opened = at
        elif not is_open and opened is not None:
            if at > opened:
                spans.append((opened, at))
            opened = None
    if opened is not None:
        spans.append((opened, None))
    return spans


def _held_at(state: CoverageState, instant: datetime) -> set[str]:
    return {h.role for h in state.holds if h.holds_at(instant)}


def missing_at(state: CoverageState, policy: Policy, instant: datetime) -> list[str]:
    """Roles required (at the severity in force at `instant`) that nobody held at `instant`."""
    if state.start is None:
        return []
    held = _held_at(state, instant)
    return [r for r in required_roles(policy, _severity_at(state, instant)) if r not in held]


def _instant(change: tuple[datetime, int, str]) -> datetime:
    return change[0]


def render(state: CoverageState, policy: Policy, now: datetime) -> CoverageBlock:
    """The coverage block at `now`.

    One sweep over the instants at which anything changed, up to `now`: between two of them
    nothing does, so each interval is open or not, under one severity, with one set of holders.
    (tests/test_coverage.py checks it against the definition, instant by instant.)"""
    if state.start is None or state.severity is None:
        raise ValueError("no detection: an incident's first event is `detected`")
    now = now.astimezone(UTC)
    required = required_roles(policy, state.severity)
    held = _held_last(state)
    full_coverage_at, uncovered = _sweep(state, policy, required, now)
    return CoverageBlock(
        required=required,
        missing=[r for r in required if r not in held],
        full_coverage_at=full_coverage_at,
        uncovered_seconds={r: d.days * 86400 + d.seconds for r, d in uncovered.items()},
    )


def _held_last(state: CoverageState) -> set[str]:
    """The roles held now while open, or at the resolution."""
    if state.open:
        return {h.role for h in state.holds if h.until is None}
    resolved_at = state.lifecycle[-1][0]
    return {h.role for h in state.holds if h.since <= resolved_at and (h.until is None or h.until >= resolved_at)}


def _points(state: CoverageState, now: datetime) -> list[datetime]:
    """The instants up to `now` at which anything changed, in order."""
    instants = {state.start}
    instants.update(at for at, _ in state.severities)
    instants.update(at for at, _ in state.lifecycle)
    for h in state.holds:
        instants.add(h.since)
        if h.until is not None:
            instants.add(h.until)
    return sorted(t for t in instants if t is not None and t <= now)


def _sweep(
    state: CoverageState, policy: Policy, required: list[str], now: datetime
) -> tuple[datetime | None, dict[str, timedelta]]:
    """When every role the severity needed was first held while open, and how long each required
    role was missing while open and needed."""
    holds = state.holds
    # The holds as changes in time: each starts at `since` and ends at `until`, so that the roles
    # held at an instant are those of the changes up to it (Hold.holds_at: since <= t < until).
    # The sweep keeps a count per role (a role can have several holders) instead of asking every
    # hold at every instant: linear in the holds, not their square.
    changes = sorted(
        [(h.since, 1, h.role) for h in holds] + [(h.until, -1, h.role) for h in holds if h.until is not None],
        key=_instant,
    )
    n_changes, change = len(changes), 0
    holders: dict[str, int] = {}
    held_then: set[str] = set()

    full_coverage_at = None
    uncovered = dict.fromkeys(required, _ZERO)
    lifecycle, severities = state.lifecycle, state.severities
    n_life, n_sev, life, sev = len(lifecycle), len(severities), 0, 0
    is_open, severity = False, severities[0][1]
    needed_by: dict[str, set[str]] = {}
    for a, b in pairwise([*_points(state, now), now]):
        while life < n_life and lifecycle[life][0] <= a:
            is_open = lifecycle[life][1]
            life += 1
        while sev < n_sev and severities[sev][0] <= a:
            severity = severities[sev][1]
            sev += 1
        while change < n_changes and changes[change][0] <= a:
            _, delta, role = changes[change]
            count = holders[role] = holders.get(role, 0) + delta
            if count > 0:
                held_then.add(role)
            else:
                held_then.discard(role)
            change += 1
        if not is_open:
            continue
        needed = needed_by.get(severity)
        if needed is None:
            needed = needed_by[severity] = set(required_roles(policy, severity))
        if full_coverage_at is None and needed <= held_then:
            full_coverage_at = a
        if b > a:
            for role in required:
                if role in needed and role not in held_then:
                    uncovered[role] += b - a
    return full_coverage_at, uncovered


def uncovered_spans(state: CoverageState, policy: Policy, now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(role, from, until): the stretches up to `now` during which a role was required by the
    severity then in force, the incident open, and nobody held it; the gaps a review lists.

    Read off the definition segment by segment (quadratic in the changes: one incident's review,
    not the hot path); a role's consecutive segments are merged, and the seconds of its spans add
    up to its `uncovered_seconds` (tests/test_postmortem.py checks it)."""
    if state.start is None:
        return []
    now = now.astimezone(UTC)
    instants = {state.start, *(at for at, _ in state.severities), *(at for at, _ in state.lifecycle)}
    for h in state.holds:
        instants.update(t for t in (h.since, h.until) if t is not None)
    points = sorted(t for t in instants if t <= now)
    running: dict[str, datetime] = {}  # role -> since when it has been missing
    spans: list[tuple[str, datetime, datetime]] = []
    for a, b in pairwise([*points, now]):
        if b <= a:
            continue
        missing = set(missing_at(state, policy, a)) if open_at(state, a) else set()
        for role in [r for r in running if r not in missing]:
            spans.append((role, running.pop(role), a))
        for role in sorted(missing - running.keys()):
            running[role] = a
    spans += [(role, since, now) for role, since in running.items() if now > since]
    return sorted(spans, key=lambda s: (s[1], s[0]))
