"""What a chat message says about an event: the events worth one, and for each what happened, to
which incident (severity, title), the clock or roles concerned, the time left, and what to do next.

Pure: a function of the event, the incident's events up to it and its plan, so a redelivery says
what the first delivery said. The platforms' shapes (and their escaping) are ledger/webhooks/slack.py
and ledger/webhooks/teams.py; they take a `Message` and trust none of its text.

Chat gets only what people must act on (docs/operations.md): a detection at sev1 or sev2, SLA
notices (at risk, breached), escalation suggestions, and resolutions. Everything else is skipped
for chat subscriptions; standard subscriptions still get every event they follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from ledger.domain.plan import Policy, required_roles
from ledger.domain.rules import Incident, fold
from schemas.events import (
    Detected,
    EscalationSuggested,
    Event,
    Metric,
    NoticeKind,
    Replied,
    Resolved,
    Severity,
    SlaNotice,
    Visibility,
)

CHAT_EVENT_TYPES: Final = ("detected", "sla_notice", "escalation_suggested", "resolved")
# A new incident reaches the channel only at these severities (sev3/sev4 start quietly).
CHAT_DETECTED: Final = frozenset({Severity.SEV1, Severity.SEV2})
STATEMENT_CHARS: Final = 300
TEXT_CHARS: Final = 300  # a title or a summary as shown

Tone = Literal["danger", "warning", "good"]

_CLOCKS: Final = {
    Metric.ACKNOWLEDGE: "acknowledgement",
    Metric.FIRST_RESPONSE: "first public response",
    Metric.UPDATE: "public update",
    Metric.RESOLVE: "resolution",
}
_NEXT: Final = {
    Metric.ACKNOWLEDGE: "Acknowledge it in the crisis room.",
    Metric.FIRST_RESPONSE: "Post a first public response; a holding statement from the plan will do.",
    Metric.UPDATE: "Post a public update: keep communicating until it is cleared.",
    Metric.RESOLVE: "Resolve it once it is cleared, or raise the severity if it is still growing.",
}
_HIGHER: Final = {Severity.SEV4: "sev3", Severity.SEV3: "sev2", Severity.SEV2: "sev1"}


@dataclass(frozen=True)
class Statement:
    """The last public statement made before the event (its text cut to STATEMENT_CHARS)."""

    text: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class About:
    """The incident a message is about, and the event it tells of."""

    incident_id: str
    title: str
    severity: str
    link: str | None
    event_type: str


@dataclass(frozen=True)
class Message:
    """A chat message before any platform's shape: every string is plain text, unescaped."""

    about: About
    tone: Tone
    headline: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    next_step: str
    statement: Statement | None = None


def wanted_types(event_types: Sequence[str]) -> list[str]:
    """The event types a chat subscription following `event_types` is sent (`*`: all it may get)."""
    return [t for t in CHAT_EVENT_TYPES if "*" in event_types or t in event_types]


def incident_link(public_url: str | None, incident_id: object) -> str | None:
    """The incident's crisis-room page, or None without LEDGER_PUBLIC_URL."""
    return None if not public_url else f"{public_url.rstrip('/')}/incidents/{incident_id}"


def message(event: Event, stream: Sequence[Event], policy: Policy, public_url: str | None) -> Message | None:
    """The message for `event`, the last of `stream` (its incident's events up to it), or None
    when the event is not one for chat."""
    state = fold(list(stream))
    if state is None or event.incident_id is None:
        return None
    about = About(
        incident_id=str(event.incident_id),
        title=cut(state.title, TEXT_CHARS),
        severity=str(state.severity),
        link=incident_link(public_url, event.incident_id),
        event_type=event.type,
    )
    missing = _missing_roles(state, policy)
    facts = (("Severity", about.severity), ("Channel", str(state.channel)))
    roles = (("Missing roles", ", ".join(missing)),) if missing else ()
    match event.data:
        case Detected(severity=severity) if severity in CHAT_DETECTED:
            reach = (("Reach", f"{state.reach.peak:,}"),) if state.reach.peak is not None else ()
            assign = f" Then assign the missing roles: {', '.join(missing)}." if missing else ""
            return Message(
                about,
                "danger",
                f"New {severity} incident",
                f"Detected on {state.channel} at {clock_time(event.occurred_at)}.",
                (*facts, *reach, *roles),
                "Acknowledge it in the crisis room." + assign,
            )
        case SlaNotice() as notice:
            return _notice(about, event, notice, stream, (*facts, *roles), missing)
        case EscalationSuggested() as suggested:
            up = _HIGHER.get(suggested.severity)
            return Message(
                about,
                "warning",
                "Escalation suggested",
                f"Its reach, {suggested.reach:,}, passed the {suggested.severity} threshold, {suggested.threshold:,}.",
                (*facts, ("Peak reach", f"{suggested.reach:,}"), ("Threshold", f"{suggested.threshold:,}")),
                f"Consider raising it to {up}: change the severity in the crisis room."
                if up
                else "Consider raising its severity in the crisis room.",
            )
        case Resolved(summary=summary):
            return Message(
                about,
                "good",
                "Incident resolved",
                f"Resolved at {clock_time(event.occurred_at)}: {cut(summary, TEXT_CHARS)}",
                facts,
                "Nothing urgent: write up the post-incident review from the crisis room.",
            )
    return None


def _notice(
    about: About,
    event: Event,
    notice: SlaNotice,
    stream: Sequence[Event],
    facts: tuple[tuple[str, str], ...],
    missing: list[str],
) -> Message:
    """An SLA notice: the clock, its due time and the time left (or overdue); for the update
    clock, the last public statement made ("keep communicating until it is cleared")."""
    clock = _CLOCKS[notice.metric]
    left = int((notice.due_at - event.occurred_at).total_seconds())
    due = clock_time(notice.due_at)
    if notice.kind == NoticeKind.AT_RISK:
        tone: Tone = "warning"
        headline, summary = f"SLA at risk: {clock}", f"The {clock} is due in {duration(left)}, at {due}."
        timing = ("Time left", duration(left))
    else:
        tone, headline = "danger", f"SLA breached: {clock}"
        summary = f"The {clock} was due at {due}: overdue by {duration(-left)}."
        timing = ("Overdue by", duration(-left))
    statement = last_statement(stream) if notice.metric == Metric.UPDATE else None
    if statement is not None:
        since = duration(int((event.occurred_at - statement.at).total_seconds()))
        summary += f" The last public statement went out {since} ago."
    elif notice.metric == Metric.UPDATE:
        summary += " No public statement has been made yet."
    next_step = _NEXT[notice.metric]
    if missing:
        next_step += f" Assign the missing roles: {', '.join(missing)}."
    return Message(
        about,
        tone,
        headline,
        summary,
        (facts[0], ("Clock", str(notice.metric)), ("Due", due), timing, *facts[1:]),
        next_step,
        statement,
    )


def _missing_roles(state: Incident, policy: Policy) -> list[str]:
    held = {a.role for a in state.assignments}
    return [role.replace("_", " ") for role in required_roles(policy, state.severity) if role not in held]


def last_statement(stream: Sequence[Event]) -> Statement | None:
    for event in reversed(stream):
        if isinstance(event.data, Replied) and event.data.visibility == Visibility.PUBLIC:
            return Statement(cut(event.data.text, STATEMENT_CHARS), str(event.data.channel), event.occurred_at)
    return None


def cut(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters (an ellipsis marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def duration(seconds: int) -> str:
    """A short human duration, to the nearest minute from a minute on: `45 s`, `4 min`,
    `1 h 5 min`, `2 d 3 h`."""
    seconds = max(0, seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = (seconds + 30) // 60
    hours, days = minutes // 60, minutes // 1440
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        rest = minutes % 60
        return f"{hours} h" + (f" {rest} min" if rest else "")
    rest_h = hours % 24
    return f"{days} d" + (f" {rest_h} h" if rest_h else "")


def clock_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
