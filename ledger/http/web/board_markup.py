"""The board's rows as markup, each incident version's drawn once and kept.

A row is mostly what its incident's events made it (severity, title, reach, missing roles, the SLA
clocks' targets and due times); only its place, its age and its clocks' states and time left
follow the instant. `BoardMarkup` keeps the first part per incident version (events never change,
so a version's frame never does) and fills in the second at each render: the board of 500 open
incidents no longer runs a template over every row on every request (docs/performance.md)."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

import msgspec
from markupsafe import Markup, escape

from ledger.http.web.present import clock_at, clock_frame, duration, iso, label, reach, severity, utc_text
from ledger.service.board import BoardRow

# The rows kept (about 2-3 KB each): the boards of a process's busiest tenants, 500-2,000 open each.
ROWS_KEPT = 5_000

# The clocks in the order of the board's columns: (the SLA block's field, its name).
_CLOCKS = (
    ("acknowledge", "Acknowledge"),
    ("first_response", "First response"),
    ("update", "Update"),
    ("resolve", "Resolve"),
)

EMPTY = Markup(
    '<tr class="empty"><td colspan="9">No open incidents. An incident detected through the API or a listening '
    "tool's signal appears here as it happens.</td></tr>\n"
)


class _Frame(msgspec.Struct, frozen=True):
    """A row's markup around what follows the instant: the opening `<tr` up to its rank, the cells
    up to the age's text, the cells from there to the clocks, each clock's frame, the rest."""

    opening: str
    head: str
    middle: str
    clocks: tuple[str, ...]
    tail: str


def _frame(row: BoardRow) -> _Frame:
    i = row.read.incident
    sla = row.read.blocks.sla
    meta = escape(i.channel)
    if i.scenario:
        meta += " · " + escape(label(i.scenario))
    if i.acknowledged_at:
        meta += " · acknowledged"
    escalate = (
        ' <span class="pill pill-escalate" title="Its reach passed the plan\'s escalation threshold for '
        f'{escape(i.severity)}">escalate?</span>'
        if row.escalation_suggested
        else ""
    )
    missing = row.read.blocks.coverage.missing
    roles = "".join(
        f'<span class="pill pill-missing"><span aria-hidden="true">! </span>{escape(label(role))}</span> '
        for role in missing
    )
    return _Frame(
        opening=f'<tr data-incident="{i.id}" data-version="{i.version}" data-rank="',
        head=(
            f"  <td>{severity(i.severity)}</td>\n"
            f'  <td class="title"><a href="/incidents/{i.id}">{escape(i.title)}</a>\n'
            f'    <span class="meta">{meta}</span></td>\n'
            f'  <td><span data-since="{iso(i.detected_at)}" title="Detected {utc_text(i.detected_at)}">'
        ),
        middle=f'</span></td>\n  <td class="num">{reach(row.reach)}{escalate}</td>\n',
        clocks=tuple(clock_frame(name, getattr(sla, field)) for field, name in _CLOCKS),
        tail=(
            '  <td class="missing">'
            + (roles or '<span class="pill pill-ok"><span aria-hidden="true">✓ </span>all held</span>')
            + "</td>\n</tr>\n"
        ),
    )


class BoardMarkup:
    """The rows' frames, by (tenant, incident, version), the least recently drawn dropped past
    `size`. One per process (the app's lifespan makes it); a frame depends on nothing but its
    incident version, so a kept frame is the frame that version would be drawn with now."""

    def __init__(self, size: int = ROWS_KEPT) -> None:
        self.size = size
        self._frames: OrderedDict[tuple[str, uuid.UUID, int], _Frame] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def rows(self, tenant: str, rows: Iterable[BoardRow], now: datetime, warning_seconds: int) -> Markup:
        """The rows at `now`, in the order given; the empty board's row when there are none."""
        drawn = "".join(self._row(tenant, row, now, warning_seconds) for row in rows)
        return Markup(drawn) if drawn else EMPTY  # noqa: S704 (escaped where drawn)

    def _row(self, tenant: str, row: BoardRow, now: datetime, warning_seconds: int) -> str:
        incident = row.read.incident
        key = (tenant, incident.id, incident.version)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = _frame(row)
            if len(self._frames) > self.size:
                self._frames.popitem(last=False)
        else:
            self._frames.move_to_end(key)
        sla = row.read.blocks.sla
        clocks = "".join(
            f"  <td>{clock_at(kept, getattr(sla, field), now, warning_seconds)}</td>\n"
            for kept, (field, _) in zip(frame.clocks, _CLOCKS, strict=True)
        )
        breached = ' class="row-breached"' if row.breached else ""
        age = duration((now - incident.detected_at).total_seconds())
        return f'{frame.opening}{row.rank}"{breached}>\n{frame.head}{age}{frame.middle}{clocks}{frame.tail}'
