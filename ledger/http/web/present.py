"""How values read on the pages: instants, durations, reach, the names of metrics and roles.

Instants are rendered as UTC text in a `<time>` element with the ISO instant in `datetime` and
`title`; the page's script rewrites the text into the viewer's time zone (the UTC text stays as
the hover title)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from schemas.events import Event, data_dict

METRIC_NAMES = {
    "acknowledge": "Acknowledge",
    "first_response": "First response",
    "update": "Update",
    "resolve": "Resolve",
}
METRICS = tuple(METRIC_NAMES)


def iso(value: datetime | None) -> str:
    """The instant as RFC 3339 UTC with a `Z` (what the script parses), or ""."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_text(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def instant(value: datetime | str | None, style: str = "datetime") -> Markup:
    """A `<time>` the script shows in the viewer's zone; the UTC instant is its hover title."""
    if isinstance(value, str):  # (an instant inside an event's data, as the API spells it)
        value = datetime.fromisoformat(value)
    if value is None:
        return Markup('<span class="muted">—</span>')
    stamp = iso(value)
    return Markup('<time datetime="{0}" title="{1}" data-local="{2}">{1}</time>').format(stamp, utc_text(value), style)


def duration(seconds: float | int | None) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 3600:
        return f"{minutes} min"
    if s < 86400:
        rest = minutes % 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    rest_h = hours % 24
    return f"{days} d {rest_h} h" if rest_h else f"{days} d"


def reach(value: int | None) -> str:
    """120000 → `120k`; 3400000 → `3.4M`."""
    if value is None:
        return "—"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            figure = value / size
            return f"{figure:.1f}".rstrip("0").rstrip(".") + suffix
    return str(value)


def label(name: str | None) -> str:
    """`social_responder` → `social responder`."""
    return (name or "").replace("_", " ")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def attrs(**values: Any) -> Markup:
    """HTML attributes, escaped; None values left out."""
    return Markup(" ").join(
        Markup('{}="{}"').format(name.replace("_", "-"), escape(str(v))) for name, v in values.items() if v is not None
    )


FILTERS = {"iso": iso, "utc": utc_text, "duration": duration, "reach": reach, "label": label, "percent": percent}
GLOBALS = {"instant": instant, "METRIC_NAMES": METRIC_NAMES, "METRICS": METRICS, "attrs": attrs}


def clock_state(clock: Any, now: datetime, warning_seconds: int) -> tuple[str, str]:
    """A clock's state and what its time says, at `now`: the script says the same every second
    (crisis-room.js `clockState`). pending / at risk / breached / met / cancelled."""
    if clock is None:
        return "none", "no target"
    status, due = clock.status, clock.due_at
    if status == "met":
        return "met", ""
    if status == "cancelled":
        return "cancelled", ""
    if due is None:
        return ("breached", "") if status == "breached" else ("pending", "not started")
    met_at = getattr(clock, "met_at", None)
    if status == "breached" and met_at is not None:  # done, but after its due time: the lateness stays
        return "breached", f"late by {duration((met_at - due).total_seconds())}"
    left = (due - now).total_seconds()
    if left <= 0:
        return "breached", f"overdue {duration(-left)}"
    if status == "breached":  # (the update cadence: an earlier gap breached, the next is running)
        return "breached", f"next due in {duration(left)}"
    if left <= warning_seconds:
        return "at risk", f"{duration(left)} left"
    return "pending", f"{duration(left)} left"


def event_data(event: Event) -> dict[str, Any]:
    return data_dict(event.data)


def verified(event: Event) -> bool:
    """Whether the ledger vouches for the event's actor (a personal key's person); else claimed
    (an integration key, or recorded before personal keys: None)."""
    return event.actor_verified is True


GLOBALS.update({"clock_state": clock_state, "event_data": event_data, "verified": verified})


def clock(name: str, m: Any, now: datetime, warning_seconds: int) -> Markup:
    """An SLA clock as the pages show it: its state in words and a symbol, the time left, the due
    instant for the script (`data-due`) and, on hover, its target and due time in UTC.

    Python rather than a Jinja macro: the board draws four per row, 2,000 for 500 incidents, and a
    macro call cost more than the rest of the row (docs/performance.md)."""
    return clock_at(clock_frame(name, m), m, now, warning_seconds)


def clock_frame(name: str, m: Any) -> str:
    """What of a clock's markup its instant does not change (the board keeps it per incident
    version): from its due and met times and its target, which only a new event moves. A clock
    with no target is the whole markup; else the part from `data-due` to the state's text."""
    if m is None:
        return Markup(
            '<span class="clock" data-state="none"><span class="clock-name">{}</span> '
            '<span class="clock-state">no target</span></span>'
        ).format(name)
    name = escape(name)
    met_at = getattr(m, "met_at", None)
    met = f' data-met="{iso(met_at)}"' if met_at else ""
    due = f", due {utc_text(m.due_at)}" if m.due_at else ""
    # An f-string of escaped values (every one is escaped or our own text): Markup.format took
    # longer than the rest of the board's row.
    return (
        f'" data-due="{iso(m.due_at)}"{met} title="{name}: target {duration(m.target_seconds)}{due}">\n'
        f'<span class="clock-name">{name}</span>\n'
        f'<span class="clock-icon" aria-hidden="true"></span><span class="clock-state">'
    )


def clock_at(frame: str, m: Any, now: datetime, warning_seconds: int) -> Markup:
    """The clock at `now` around its `frame`: its status, and its state and time at `now`."""
    if m is None:
        return Markup(frame)  # noqa: S704 (clock_frame's markup)
    state, text = clock_state(m, now, warning_seconds)
    status = escape(m.status)
    return Markup(  # noqa: S704
        f'<span class="clock" data-state="{state}" data-status="{status}{frame}{state}</span>\n'
        f'<span class="clock-time">{escape(text)}</span>\n</span>'
    )


def severity(sev: str) -> Markup:
    """`SEV1`, written out (never its colour alone), with "Severity 1" on hover."""
    sev = escape(sev)
    return Markup(f'<span class="sev sev-{sev}" title="Severity {sev[3:]}">{sev.upper()}</span>')  # noqa: S704


GLOBALS.update({"clock": clock, "severity": severity})
