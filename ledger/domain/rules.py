"""The incident's rules as a decider: `decide(command, state, now)` and `evolve(state, event)`.
The two other writes' rules are beside this module: where a signal goes (`signal_routing`), and a
change of the tenant's plan (`plan_changes`).

Pure: no I/O, no clock reads, no HTTP. `now` is an argument. The rules apply in recorded order;
`occurred_at` only has to lie within its bounds (facts are often reported late).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from ledger.domain import identity
from ledger.domain.commands import (
    Acknowledge,
    Assign,
    ChangeSeverity,
    Command,
    Detect,
    Note,
    ReceiveSignal,
    RecordSlaNotice,
    Reopen,
    Reply,
    Resolve,
    SuggestEscalation,
    Unassign,
)
from ledger.domain.errors import ActionNotAllowed, InvalidValue, NotFound, ReplyFlagged
from ledger.domain.reach import NO_REACH, Reach, reached
from ledger.domain.review import RULES_VERSION, judge, requires_approval
from ledger.domain.review.xlength import X_WEIGHTED_LIMIT, weighted_length
from schemas.events import (
    Acknowledged,
    Assigned,
    Channel,
    Detected,
    EscalationSuggested,
    EventData,
    Happened,
    Metric,
    NewEvent,
    Noted,
    NoticeKind,
    PolicyChanged,
    Reopened,
    Replied,
    ReplyReview,
    Resolved,
    Severity,
    SeverityChanged,
    SignalReceived,
    SlaNotice,
    Unassigned,
    Visibility,
    type_of,
)

MAX_FUTURE = timedelta(seconds=60)
MAX_BACKDATE_DETECTION = timedelta(days=7)


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    assignee: str
    since: datetime


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    """The decider's state: what the rules need, and what the incident view starts from."""

    id: uuid.UUID
    version: int
    status: Status
    severity: Severity
    title: str
    channel: Channel
    scenario: str | None
    dedup_key: str | None
    policy_version: int
    detected_at: datetime
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    first_resolved_at: datetime | None = None
    assignments: tuple[Assignment, ...] = ()
    reach: Reach = NO_REACH
    # The escalations suggested so far, as (severity, threshold): each is suggested once.
    escalations: frozenset[tuple[str, int]] = frozenset()

    def holds(self, role: str, assignee: str) -> bool:
        return any(a.role == role and a.assignee == assignee for a in self.assignments)


def x_weighted_length(text: str) -> int:
    """Length of `text` as X counts it (URLs 23, most CJK and emoji 2): `parse_tweet`'s count, which
    ledger/domain/review/xlength.py reaches without its ~1.5 ms emoji pass for most replies (a
    Turkish reply is never ASCII, so `surely_fits_on_x` cannot spare it the count)."""
    return weighted_length(text)


def surely_fits_on_x(text: str) -> bool:
    """True when `text` cannot pass X's limit, decided without parsing it (parsing is slow):
    X counts an ASCII character as 1, and a URL (which needs a dot) as 23 whatever its length."""
    return text.isascii() and len(text) + 23 * text.count(".") <= X_WEIGHTED_LIMIT


def _when(cmd: Command, state: Incident | None, now: datetime) -> datetime:
    occurred = cmd.occurred_at or now
    if occurred > now + MAX_FUTURE:
        raise InvalidValue(
            "occurred_at may not lie more than 60 seconds in the future",
            field="occurred_at",
        )
    if state is None:
        if occurred < now - MAX_BACKDATE_DETECTION:
            raise InvalidValue("a detection may be backdated by at most 7 days", field="occurred_at")
    elif occurred < state.detected_at:
        raise InvalidValue("occurred_at may not lie before the incident's detection", field="occurred_at")
    return occurred


def _not_allowed(cmd: Command, state: Incident, why: str) -> ActionNotAllowed:
    action = type(cmd).__name__
    return ActionNotAllowed(f"{action} is not allowed: {why}", incident_status=str(state.status))


def _data_for(cmd: Command, state: Incident | None) -> EventData:
    match cmd, state:
        case Detect(), None:
            return _detected(cmd)
        case Detect(), Incident():
            raise _not_allowed(cmd, state, "the incident already exists")
        case _, None:
            raise NotFound(f"incident {cmd.incident_id} not found")
        case Note(), Incident():
            return Noted(text=cmd.text, kind=cmd.kind)
        case Unassign(), Incident():
            if not state.holds(cmd.role, cmd.assignee):
                raise _not_allowed(cmd, state, f"{cmd.assignee} does not hold the role {cmd.role}")
            return Unassigned(role=cmd.role, assignee=cmd.assignee, reason=cmd.reason)
        case Reopen(), Incident(status=Status.RESOLVED):
            return Reopened(reason=cmd.reason)
        case Reopen(), Incident():
            raise _not_allowed(cmd, state, "only a resolved incident can be reopened")
        case _, Incident(status=Status.RESOLVED):
            raise _not_allowed(cmd, state, "the incident is resolved")
        # From here on the incident is open.
        case ReceiveSignal(), Incident():
            return SignalReceived(source_url=cmd.source_url, reach=cmd.reach, summary=cmd.summary)
        case Acknowledge(), Incident(acknowledged_at=None):
            return Acknowledged(note=cmd.note)
        case Acknowledge(), Incident():
            raise _not_allowed(cmd, state, "the incident is already acknowledged")
        case Assign(), Incident():
            return _assigned(cmd, state)
        case Reply(), Incident():
            return _replied(cmd, state)
        case ChangeSeverity(), Incident():
            if cmd.severity == state.severity:
                raise _not_allowed(cmd, state, f"the severity is already {cmd.severity}")
            return SeverityChanged(severity=cmd.severity, reason=cmd.reason, previous=state.severity)
        case Resolve(), Incident():
            return Resolved(summary=cmd.summary)
        case RecordSlaNotice(), Incident():
            return SlaNotice(metric=Metric(cmd.metric), kind=NoticeKind(cmd.kind), due_at=cmd.due_at)
        case SuggestEscalation(), Incident():
            threshold = escalation_due(state, cmd.thresholds)
            if threshold is None or state.reach.peak is None:
                raise _not_allowed(cmd, state, "no escalation to suggest")
            return EscalationSuggested(severity=state.severity, reach=state.reach.peak, threshold=threshold)
    raise _not_allowed(cmd, state, "unknown action")  # pragma: no cover - the match is exhaustive


def escalation_due(state: Incident, thresholds: dict[str, int | None]) -> int | None:
    """The threshold to suggest an escalation at, if one is due: the incident is open, its peak
    reach has reached the threshold its plan sets for its current severity, and no escalation
    was suggested yet at that severity and threshold (a reopen or a severity changed back does
    not suggest it again)."""
    threshold = escalation_reached(state.severity, state.status == Status.OPEN, state.reach.peak, thresholds)
    return None if threshold is None or (state.severity, threshold) in state.escalations else threshold


def escalation_reached(severity: str, is_open: bool, peak: int | None, thresholds: dict[str, int | None]) -> int | None:
    """The threshold an open incident's peak reach has reached at its severity (None: none), whether
    or not it was suggested already: `escalation_due` without the escalations it reads."""
    threshold = thresholds.get(severity)
    if not is_open or threshold is None or peak is None or peak < threshold:
        return None
    return threshold


def _detected(cmd: Detect) -> Detected:
    return Detected(
        title=cmd.title,
        severity=cmd.severity,
        channel=cmd.channel,
        scenario=cmd.scenario,
        source_url=cmd.source_url,
        summary=cmd.summary,
        reach=cmd.reach,
        dedup_key=cmd.dedup_key,
        policy_version=cmd.policy_version,
    )


def _assigned(cmd: Assign, state: Incident) -> Assigned:
    if cmd.role not in cmd.known_roles:
        raise InvalidValue(
            f"role {cmd.role!r} is not in the tenant's emergency plan",
            field="role",
            known_roles=sorted(cmd.known_roles),
        )
    if state.holds(cmd.role, cmd.assignee):
        raise _not_allowed(cmd, state, f"{cmd.assignee} already holds the role {cmd.role}")
    return Assigned(role=cmd.role, assignee=cmd.assignee)


def _replied(cmd: Reply, state: Incident) -> Replied:
    """A reply; a public one on X must fit X's weighted length, and carries the review it passed."""
    if cmd.visibility == Visibility.PUBLIC and cmd.channel == Channel.X and not surely_fits_on_x(cmd.text):
        weighted = x_weighted_length(cmd.text)
        if weighted > X_WEIGHTED_LIMIT:
            raise InvalidValue(
                f"a public reply on x may have at most {X_WEIGHTED_LIMIT} weighted "
                f"characters as X counts them; this one has {weighted}",
                field="text",
                weighted_length=weighted,
            )
    return Replied(
        channel=cmd.channel,
        text=cmd.text,
        visibility=cmd.visibility,
        in_reply_to=cmd.in_reply_to,
        url=cmd.url,
        approved_by=cmd.approved_by,
        drafted_by=cmd.drafted_by,
        text_sha256=hashlib.sha256(cmd.text.encode()).hexdigest(),
        review=_reviewed(cmd, state),
        template_id=cmd.template_id,
    )


def decide(cmd: Command, state: Incident | None, now: datetime) -> list[NewEvent]:
    """The events that carrying out `cmd` on `state` at `now` records, or a LedgerError."""
    cmd = identity.names_checked(cmd)
    data = _data_for(cmd, state)
    return [NewEvent(data=data, occurred_at=_when(cmd, state, now), actor=cmd.actor)]


def evolve(state: Incident | None, event: Happened) -> Incident:
    """The incident after `event` (of which it reads the stream, the version, when and what)."""
    data = event.data
    at = event.occurred_at
    version = event.version or 0
    if state is None:
        if not isinstance(data, Detected):
            raise ValueError(f"stream does not start with a detection: {type_of(data)}")
        assert event.incident_id is not None
        return Incident(
            id=event.incident_id,
            version=version,
            status=Status.OPEN,
            severity=data.severity,
            title=data.title,
            channel=data.channel,
            scenario=data.scenario,
            dedup_key=data.dedup_key,
            policy_version=data.policy_version,
            detected_at=at,
            reach=reached(NO_REACH, data.reach, at, signal=False),
        )
    # One `replace` per kind of event, naming what it changes besides the version. Kinds are told
    # apart by exact type, not by class patterns: every event folds through here (on the write
    # path and in every read model), and a class pattern that misses costs an isinstance call
    # through msgspec's metaclass (~130 ns; most events miss nine).
    replace = msgspec.structs.replace
    kind = type(data)
    if kind is Acknowledged:
        return replace(state, version=version, acknowledged_at=at)
    if kind is Assigned:
        assignment = Assignment(role=data.role, assignee=data.assignee, since=at)
        return replace(state, version=version, assignments=(*state.assignments, assignment))
    if kind is Unassigned:
        kept = tuple(a for a in state.assignments if (a.role, a.assignee) != (data.role, data.assignee))
        return replace(state, version=version, assignments=kept)
    if kind is Replied:
        first = state.first_response_at
        if data.visibility == Visibility.PUBLIC and (first is None or at < first):
            return replace(state, version=version, first_response_at=at)
    if kind is SeverityChanged:
        return replace(state, version=version, severity=data.severity)
    if kind is SignalReceived:
        return replace(state, version=version, reach=reached(state.reach, data.reach, at, signal=True))
    if kind is EscalationSuggested:
        suggested = state.escalations | {(str(data.severity), data.threshold)}
        return replace(state, version=version, escalations=suggested)
    if kind is Resolved:
        first = at if state.first_resolved_at is None else state.first_resolved_at
        return replace(state, version=version, status=Status.RESOLVED, resolved_at=at, first_resolved_at=first)
    if kind is Reopened:
        return replace(state, version=version, status=Status.OPEN, resolved_at=None)
    if kind is PolicyChanged:
        raise ValueError("policy_changed does not belong to an incident stream")
    return replace(state, version=version)


def fold(events: Iterable[Happened]) -> Incident | None:
    """The incident after all of `events` (None for an empty stream)."""
    state: Incident | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _reviewed(cmd: Reply, state: Incident) -> ReplyReview:
    """The reply's review, recorded on its event; a flagged public reply needs `approved_by`
    when the plan says so (PRODUCT.md "Reply review")."""
    if cmd.template_id is not None and cmd.template_id not in cmd.holding_ids:
        raise InvalidValue(f"no holding statement {cmd.template_id!r} in the plan in force", field="template_id")
    plan = cmd.review_plan
    try:
        found = judge(
            cmd.text,
            visibility=str(cmd.visibility),
            language=cmd.language,
            severity=str(state.severity),
            terms=plan.terms,
            allow=plan.allow,
        )
    except ValueError as exc:
        raise InvalidValue(str(exc), field="language") from exc
    kinds = sorted({f.kind for f in found.findings if f.level == "problem"})
    flagged = requires_approval(found.verdict, str(cmd.visibility), plan.require_approval_when_flagged)
    if flagged and not cmd.approved_by:
        raise ReplyFlagged(
            f"the review flagged this public reply ({', '.join(kinds)}); change it, or send it with approved_by",
            language=found.language,
            findings=[msgspec.to_builtins(f) for f in found.findings],
            rules=RULES_VERSION,
        )
    return ReplyReview(
        verdict=found.verdict,
        kinds=kinds,
        advice=sorted({f.kind for f in found.findings if f.level == "advice"}),
        language=found.language,
        rules=RULES_VERSION,
    )
