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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from ledger.domain.plan import Policy
from projections.sla_replay import Fact, FactKind, Run
from schemas.blocks import Milestone, SlaBlock, UpdateBlock
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

# The event types `apply` reads. Any other event only advances `seq`, which does nothing but order
# the facts, so a fold of only these has the same facts in the same order, and renders alike: a
# reader that folds many streams may leave the other events' data unread (the what-if does).
TYPES_READ = tuple(
    str(kind.__struct_config__.tag) for kind in (Detected, Acknowledged, Replied, SeverityChanged, Resolved, Reopened)
)


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
        if type(event.data) is Detected:
            added.clear()  # (a detection starts the facts afresh)
        if fact is not None:
            added.append(fact)
    return msgspec.structs.replace(state, facts=(*state.facts, *added)) if added else state


def _next(state: SlaState, event: Happened) -> tuple[SlaState, Fact | None]:
    """The state after `event` but for the fact it adds (if any), given beside it: the caller
    appends it. Reads no facts."""
    at = event.occurred_at.astimezone(UTC)
    seq = state.seq + 1
    data = event.data
    kind = type(data)  # (exact types, not class patterns: see ledger.domain.rules.evolve)
    if kind is Detected:
        detected = SlaState(
            start=at,
            severity=str(data.severity),
            initial_severity=str(data.severity),
            open=True,
            last_severity_at=at,
            last_lifecycle_at=at,
            seq=seq,
        )
        return detected, None
    if state.start is None:
        return state, None
    replace = msgspec.structs.replace
    if kind is Acknowledged:
        return replace(state, seq=seq), Fact(at=at, seq=seq, kind="ack", event_id=event.id)
    if kind is Replied and data.visibility == Visibility.PUBLIC:
        return replace(state, seq=seq), Fact(at=at, seq=seq, kind="reply", event_id=event.id)
    if kind is SeverityChanged:
        severity = str(data.severity)
        eff = max(at, state.last_severity_at or at)
        fact = Fact(at=eff, seq=seq, kind="severity", event_id=event.id, severity=severity)
        return replace(state, severity=severity, last_severity_at=eff, seq=seq), fact
    if kind is Resolved or kind is Reopened:
        eff = max(at, state.last_lifecycle_at or at)
        fact_kind: FactKind = "resolved" if kind is Resolved else "reopened"
        fact = Fact(at=eff, seq=seq, kind=fact_kind, event_id=event.id)
        return replace(state, open=kind is Reopened, last_lifecycle_at=eff, seq=seq), fact
    return replace(state, seq=seq), None


def sla_of(events: Iterable[Happened], policy: Policy, now: datetime) -> Sla:
    """The SLA block of one incident's events (recorded order) at `now`."""
    return render(fold(events), policy, now)


def render(state: SlaState, policy: Policy, now: datetime) -> Sla:
    """Measure the timeline facts against `policy` at `now`."""
    run, _ = _replay(state, policy, None)
    return _measure(run, now)


def severities_held(state: SlaState) -> set[str]:
    """Every severity the incident has had: the plan's part a render can read (with `same_targets`)."""
    held = {fact.severity for fact in state.facts if fact.kind == "severity" and fact.severity is not None}
    if state.initial_severity is not None:
        held.add(state.initial_severity)
    return held


def same_targets(a: Policy, b: Policy, severity: str) -> bool:
    """Whether a render at `severity` reads the same of plans `a` and `b`. A render reads a plan
    only through the targets of the severities the incident holds and those targets' calendars
    (projections/sla_replay.py: `target_of`, `calendar_of`), so for an incident whose every held
    severity has the same targets in both, it renders the same under either."""
    ours, theirs = a.severities.get(severity), b.severities.get(severity)
    if ours is None or theirs is None:
        return False
    for metric in ours.targets.keys() | theirs.targets.keys():
        target = ours.targets.get(metric)
        if target != theirs.targets.get(metric):
            return False
        if target is not None and target.calendar is not None:
            if a.calendars.get(target.calendar) != b.calendars.get(target.calendar):
                return False
    return True


@dataclass(frozen=True)
class Replay:
    """A replay of the first `upto` facts of an incident's SlaState (in recorded order) against
    `policy`, stopped before the final expiry. `last` is the sort key of the last fact replayed."""

    policy: Policy
    upto: int
    last: tuple[datetime, int] | None
    run: Run  # (never stepped again: a render resumes from a copy)


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
    if resume is not None and resume.upto == len(state.facts) and _resumable(state, policy, resume):
        # Nothing newer (a board's read of an unchanged incident): the kept replay stays as it is,
        # and only the copy this render expires is made.
        return _measure(resume.run.copy(), now), resume
    run, last = _replay(state, policy, resume)
    replay = Replay(policy, len(state.facts), last, run.copy())
    return _measure(run, now), replay


def _resumable(state: SlaState, policy: Policy, resume: Replay) -> bool:
    """Whether a replay of `state` may resume from `resume`: the same policy and detection, and
    every newer fact sorting after the last one it replayed."""
    return (
        resume.policy is policy
        and resume.upto <= len(state.facts)
        and resume.run.start == state.start
        and (resume.last is None or all(_key(f) > resume.last for f in state.facts[resume.upto :]))
    )


def _replay(state: SlaState, policy: Policy, resume: Replay | None) -> tuple[Run, tuple[datetime, int] | None]:
    """The replay of all of `state`'s facts (from `resume` where it may), and its last sort key."""
    if state.start is None or state.initial_severity is None:
        raise ValueError("no detection: an incident's first event is `detected`")
    newer = state.facts[resume.upto :] if resume is not None else state.facts
    if resume is not None and _resumable(state, policy, resume):
        run, last = resume.run.copy(), resume.last
    else:
        run, last, newer = Run(policy, state.start, state.initial_severity), None, state.facts
    for fact in sorted(newer, key=_key):
        run.step(fact)
        last = _key(fact)
    return run, last


def _measure(run: Run, now: datetime) -> Sla:
    """The SLA block at `now` of a replay (which this expires: not to be stepped again)."""
    run.expire(now.astimezone(UTC), inclusive=True)
    return Sla(
        acknowledge=run.milestone("acknowledge"),
        first_response=run.milestone("first_response"),
        update=run.update_block(),
        resolve=run.milestone("resolve"),
        first_resolved_at=run.first_resolved_at,
    )
