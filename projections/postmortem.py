"""The post-incident review: one incident's events, measured, written out as Markdown (and HTML).

A pure function of the incident's events, its plan and the instant it is measured at, so the same
ledger gives the same document, byte for byte: sections in a fixed order, events in recorded
order, times in UTC RFC 3339, nothing read from a clock here.

Everything a client wrote (titles, names, texts, reasons, URLs, roles, review advice) goes into
the document through projections/safe_markdown.py, which escapes it (its docstring says how).
The HTML is that Markdown rendered by cmark-gfm (`cmarkgfm`: CommonMark with GitHub's tables, in C)
in its default safe mode: raw HTML that got through would be omitted and unsafe link targets
dropped, never interpreted. (markdown-it-py, pure Python, took ~0.9 s for a 2,000-event review
whose Markdown takes ~0.1 s to write; cmark-gfm renders the same tables in ~60 ms.)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import cmarkgfm

from ledger.domain.plan import Policy
from ledger.domain.reach import Reach
from projections import coverage as cov
from projections import reach
from projections.incident_view import Blocks
from projections.provenance import public_statements
from projections.safe_markdown import NONE, duration, escape, fenced, instant, table
from schemas.api import StatementOut
from schemas.blocks import Milestone, UpdateBlock
from schemas.events import (
    Acknowledged,
    Assigned,
    Detected,
    EscalationSuggested,
    Event,
    Noted,
    NoteKind,
    Reopened,
    Replied,
    Resolved,
    SeverityChanged,
    SignalReceived,
    SlaNotice,
    Unassigned,
    Visibility,
)


def verified(event: Event) -> str:
    """Whether the ledger verified the actor (a personal key's person) or took the client's word
    (an integration key, or an event recorded before personal keys: None)."""
    return "verified" if event.actor_verified is True else "claimed"


def review(
    events: Sequence[Event], policy: Policy, blocks: Blocks, measured_at: datetime, as_of: datetime | None = None
) -> str:
    """The review in Markdown of one incident's `events` (recorded order), measured at `measured_at`
    with `blocks` (its SLA and coverage then); `as_of` when the ledger is read as it was then."""
    detected = events[0]
    assert isinstance(detected.data, Detected), "an incident's first event is its detection"
    lines = [f"# Post-incident review: {escape(detected.data.title)}", ""]
    lines += _facts(events, blocks, measured_at, as_of)
    lines += _sla(blocks)
    lines += _coverage(events, policy, blocks, measured_at)
    statements = public_statements(events)
    lines += _statements(events, statements)
    lines += _decisions(events)
    lines += _timeline(events, statements)
    return "\n".join(lines).rstrip("\n") + "\n"


def _facts(events: Sequence[Event], blocks: Blocks, measured_at: datetime, as_of: datetime | None) -> list[str]:
    first = events[0]
    data = first.data
    assert isinstance(data, Detected)
    severities = [(first, str(data.severity), None, None)] + [
        (e, str(e.data.severity), e.data.previous, e.data.reason) for e in events if isinstance(e.data, SeverityChanged)
    ]
    resolutions = [e for e in events if isinstance(e.data, Resolved)]
    lifecycle = [e for e in events if isinstance(e.data, Resolved | Reopened)]
    is_open = not lifecycle or isinstance(lifecycle[-1].data, Reopened)
    acks = [e.occurred_at for e in events if isinstance(e.data, Acknowledged)]
    facts = [
        ("Incident", f"`{first.incident_id}`"),
        ("Title", escape(data.title)),
        ("Status", "open" if is_open else "resolved"),
        ("Severity", f"{severities[-1][1]} (detected as {data.severity})"),
        ("Channel", str(data.channel)),
        ("Scenario", escape(data.scenario)),
        ("Source", escape(data.source_url)),
        ("Reach", _reach_fact(reach.fold(events))),
        ("Escalations suggested", _escalations(events)),
        ("Detected", instant(first.occurred_at)),
        ("Acknowledged", instant(min(acks) if acks else None)),
        ("First resolved", instant(resolutions[0].occurred_at if resolutions else None)),
        ("Resolved", instant(resolutions[-1].occurred_at if resolutions and not is_open else None)),
        ("Policy version", str(data.policy_version)),
        ("Events", f"{len(events)} (versions 1 to {events[-1].version})"),
        ("Ledger as of", instant(as_of) if as_of is not None else f"{instant(events[-1].recorded_at)} (last recorded)"),
    ]
    if is_open and as_of is None:
        facts.append(("Measured at", f"{instant(measured_at)} (open: running clocks are measured now)"))
    lines = ["## Facts", "", *table(("Fact", "Value"), facts), "", "### Severity history", ""]
    rows = [
        (instant(e.occurred_at), sev, str(prev) if prev else NONE, escape(e.actor), verified(e), escape(reason))
        for e, sev, prev, reason in severities
    ]
    lines += table(("At", "Severity", "Previous", "Actor", "Actor is", "Reason"), rows)
    return [*lines, ""]


_METRICS = ("acknowledge", "first_response", "update", "resolve")


def _reach_fact(figures: Reach) -> str:
    """The peak alone when one figure was given; else peak, latest and first; and the signals."""
    signals = f"{figures.signals} signal{'' if figures.signals == 1 else 's'}"
    if figures.peak is None:
        return f"{NONE} ({signals})"
    if figures.first == figures.latest == figures.peak:
        shown = f"{figures.peak}"
    else:
        shown = f"peak {figures.peak}, latest {figures.latest}, first {figures.first}"
    return f"{shown} ({signals})"


def _escalations(events: Sequence[Event]) -> str:
    made = [
        f"{e.data.severity} at reach {e.data.reach} (threshold {e.data.threshold}, {instant(e.occurred_at)})"
        for e in events
        if isinstance(e.data, EscalationSuggested)
    ]
    return "; ".join(made) or NONE


def _sla(blocks: Blocks) -> list[str]:
    rows = []
    for metric in _METRICS:
        block = getattr(blocks.sla, metric)
        if block is None:
            rows.append((metric, "no target", NONE, NONE, NONE, NONE, NONE))
        elif isinstance(block, Milestone):
            rows.append(
                (
                    metric,
                    _target(block.target_seconds, block.calendar),
                    instant(block.due_at),
                    block.status,
                    instant(block.met_at),
                    instant(block.breached_at),
                    duration(block.elapsed_seconds),
                )
            )
        else:
            rows.append(_update_row(block))
    lines = [
        "## SLA outcomes",
        "",
        *table(("Milestone", "Target", "Due", "Status", "Met at", "Breached at", "Elapsed"), rows),
    ]
    update = blocks.sla.update
    if update is not None and update.gap_seconds:
        lines += ["", "Update gaps (between public replies while open, in the target's calendar):", ""]
        gaps = [
            (str(i), duration(s), "breached" if b else "met")
            for i, (s, b) in enumerate(zip(update.gap_seconds, update.gap_breached, strict=True), 1)
        ]
        lines += table(("Gap", "Length", "Outcome"), gaps)
    return [*lines, ""]


def _target(seconds: int, calendar: str | None) -> str:
    return duration(seconds) + (f" in calendar {escape(calendar)}" if calendar else "")


def _update_row(block: UpdateBlock) -> tuple[str, ...]:
    summary = f"{block.gaps} gaps, {block.breaches} breaches, longest {duration(block.max_gap_seconds)}"
    if block.unanswered_breaches:
        summary += f", {block.unanswered_breaches} unanswered"
    return (
        "update",
        _target(block.target_seconds, block.calendar),
        instant(block.due_at),
        block.status,
        NONE,
        instant(block.breached_at),
        summary,
    )


def _coverage(events: Sequence[Event], policy: Policy, blocks: Blocks, measured_at: datetime) -> list[str]:
    state = cov.fold(events)
    block = blocks.coverage
    lines = [
        "## Coverage",
        "",
        f"- Required now: {', '.join(escape(r) for r in block.required) or NONE}",
        f"- Missing: {', '.join(escape(r) for r in block.missing) or NONE}",
        f"- Full coverage at: {instant(block.full_coverage_at)}",
        "",
        "### Who held which role when",
        "",
    ]
    holds = [
        (escape(h.role), escape(h.assignee), instant(h.since), instant(h.until) if h.until else "still held")
        for h in state.holds
    ]
    lines += table(("Role", "Assignee", "From", "Until"), holds) if holds else ["Nobody was assigned."]
    lines += ["", "### Uncovered time per required role", ""]
    totals = [(escape(role), duration(seconds)) for role, seconds in block.uncovered_seconds.items()]
    lines += table(("Role", "Uncovered (open, required, unheld)"), totals) if totals else ["No role is required."]
    spans = cov.uncovered_spans(state, policy, measured_at)
    lines += ["", "### Gaps", ""]
    if spans:
        gap_rows = [
            (escape(role), instant(a), instant(b), duration(int((b - a).total_seconds()))) for role, a, b in spans
        ]
        lines += table(("Role", "From", "Until", "Length"), gap_rows)
    else:
        lines.append("No gaps: every required role was held whenever the incident was open.")
    return [*lines, ""]


def _review_of(data: Replied) -> Any:
    """The reply review recorded with newer replies (`data.review`), or None before it existed."""
    return getattr(data, "review", None)


def _part(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _statements(events: Sequence[Event], statements: list[StatementOut]) -> list[str]:
    lines = ["## Public statements", ""]
    if not statements:
        return [*lines, "Nothing was said publicly.", ""]
    by_id = {e.id: e for e in events}
    for n, s in enumerate(statements, 1):
        event = by_id[s.event_id]
        rows = [
            ("Drafted by", escape(s.drafted_by)),
            ("Approved by", escape(s.approved_by)),
            ("Posted by", f"{escape(s.sent_by)} ({verified(event)})"),
            ("Posted at", instant(s.sent_at)),
            ("Recorded by", escape(s.recorded_by)),
            ("Recorded at", instant(s.recorded_at)),
            ("URL", escape(s.url)),
            ("In reply to", escape(s.in_reply_to)),
            ("Text sha256", f"`{s.text_sha256}`" if s.text_sha256 else NONE),
            ("Event", f"`{s.event_id}` (version {s.version})"),
        ]
        verdict = _review_of(event.data) if isinstance(event.data, Replied) else None
        if verdict is not None:
            rows += [
                ("Review verdict", escape(_text(_part(verdict, "verdict")))),
                ("Review found", ", ".join(escape(_text(k)) for k in _part(verdict, "kinds") or []) or NONE),
                ("Review advice", " · ".join(escape(_text(a)) for a in _part(verdict, "advice") or []) or NONE),
                ("Review language", escape(_text(_part(verdict, "language")))),
                ("Review rules", escape(_text(_part(verdict, "rules")))),
            ]
        else:
            rows.append(("Review verdict", "not reviewed"))
        lines += [f"### Statement {n} on {s.channel}, {instant(s.sent_at)}", "", *table(("", "Value"), rows)]
        lines += ["", fenced(s.text), ""]
    return lines


def _decisions(events: Sequence[Event]) -> list[str]:
    lines = ["## Decisions", ""]
    decisions = [e for e in events if isinstance(e.data, Noted) and e.data.kind == NoteKind.DECISION]
    if not decisions:
        return [*lines, "No decision was recorded.", ""]
    for n, e in enumerate(decisions, 1):
        assert isinstance(e.data, Noted)
        lines += [f"### Decision {n}, {instant(e.occurred_at)}, by {escape(e.actor)} ({verified(e)})", ""]
        lines += [fenced(e.data.text), ""]
    return lines


def _timeline(events: Sequence[Event], statements: list[StatementOut]) -> list[str]:
    numbered = {s.event_id: n for n, s in enumerate(statements, 1)}
    rows = [
        (
            str(e.version),
            instant(e.occurred_at),
            instant(e.recorded_at),
            e.type,
            escape(e.actor),
            verified(e),
            escape(e.recorded_by),
            _what(e, numbered),
        )
        for e in events
    ]
    header = ("#", "Occurred", "Recorded", "Event", "Actor", "Actor is", "Recorded by", "What")
    return ["## Timeline", "", *table(header, rows), ""]


def _what(event: Event, statements: dict[Any, int]) -> str:
    match event.data:
        case Detected() as d:
            return f"detected as {d.severity} on {d.channel}: {escape(d.title)}"
        case SignalReceived() as s:
            return f"signal: reach {s.reach if s.reach is not None else NONE}, {escape(s.source_url)}"
        case Acknowledged() as a:
            return "acknowledged" + (f": {escape(a.note)}" if a.note else "")
        case Assigned() as a:
            return f"{escape(a.assignee)} takes {escape(a.role)}"
        case Unassigned() as u:
            return f"{escape(u.assignee)} leaves {escape(u.role)}" + (f": {escape(u.reason)}" if u.reason else "")
        case Replied(visibility=Visibility.PUBLIC) as r:
            return f"public reply on {r.channel} (statement {statements.get(event.id, '?')})"
        case Replied() as r:
            return f"private reply on {r.channel}: {escape(r.text)}"
        case SeverityChanged() as s:
            return f"severity {s.previous or '?'} → {s.severity}" + (f": {escape(s.reason)}" if s.reason else "")
        case Noted() as n:
            return f"{n.kind}: {escape(n.text)}"
        case Resolved() as r:
            return f"resolved: {escape(r.summary)}"
        case Reopened() as r:
            return f"reopened: {escape(r.reason)}"
        case SlaNotice() as n:
            return f"SLA {n.metric} {n.kind} (due {instant(n.due_at)})"
        case EscalationSuggested() as x:
            return f"escalation suggested: reach {x.reach} reached the {x.severity} threshold {x.threshold}"
        case _:
            return NONE


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.75rem;white-space:pre-wrap}"
)


def to_html(markdown: str, title: str) -> str:
    """A standalone HTML page of the review (raw HTML in the Markdown is never passed through)."""
    body = cmarkgfm.markdown_to_html_with_extensions(markdown, extensions=["table"])
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Post-incident review: {html.escape(title)}</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )
