"""The reports page's charts, drawn on the server as SVG: no chart library, no script.

Each series differs by its marker shape and line dash as well as its colour (colour is never the
only signal), every chart has a title and description for screen readers, and the page repeats
the figures in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from ledger.http.web.present import METRIC_NAMES
from schemas.api import SlaReport

# The compliance chart spans the page; the percentile charts share it two by two. (Text in an SVG
# scales with it: each is drawn at about the width it is shown at, so their labels read alike.)
WIDE, NARROW, HEIGHT = 1100, 560, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
# (colour, dash, marker) per metric, in METRIC_NAMES order.
STYLES = (
    ("#1f5fbf", "", "circle"),
    ("#b8570b", "6 3", "square"),
    ("#2b7a3d", "2 3", "triangle"),
    ("#7a3d9b", "10 3 2 3", "diamond"),
)


@dataclass(frozen=True)
class Week:
    key: str  # ISO week, as the report groups: 2026-W48
    label: str  # its Monday, short: 24 Nov


def weeks_between(since: datetime, until: datetime) -> list[Week]:
    """Every ISO week from the one holding `since` to the one holding `until`."""
    monday = since.date() - timedelta(days=since.weekday())
    out: list[Week] = []
    while monday <= until.date():
        year, number, _ = monday.isocalendar()
        out.append(Week(f"{year}-W{number:02d}", f"{monday.day} {monday:%b}"))
        monday += timedelta(days=7)
    return out


def by_week(report: SlaReport) -> dict[str, dict[str, object]]:
    """week key → metric → its figures."""
    return {g.key or "": {m: getattr(g.metrics, m) for m in METRIC_NAMES} for g in report.groups}


def _x(i: int, n: int, width: int) -> float:
    span = width - LEFT - RIGHT
    return LEFT + (span * (i + 0.5) / n if n else 0)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value / top if top else 0))


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 4:.1f} L{x - 5:.1f} {y + 4:.1f} Z" fill="{colour}"/>'
    if kind == "diamond":
        return (
            f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z"'
            f' fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _frame(
    title: str, desc: str, ticks: Sequence[tuple[float, str]], top: float, weeks: list[Week], width: int
) -> list[str]:
    ident = "chart-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())
    parts = [
        f'<svg viewBox="0 0 {width} {HEIGHT}" role="img" aria-labelledby="{ident}t {ident}d" class="chart">',
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>',
    ]
    for value, text in ticks:
        y = _y(value, top)
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(text)}</text>')
    step = max(1, -(-len(weeks) * 64 // (width - LEFT - RIGHT)))  # (at most a label per 64 units)
    for i, week in enumerate(weeks):
        if i % step == 0:
            x = _x(i, len(weeks), width)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" class="tick">')
            parts.append(f"{escape(week.label)}</text>")
    parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" class="axis"/>')
    return parts


def compliance_chart(report: SlaReport, weeks: list[Week]) -> Markup:
    """One line per metric: the share of its milestones met, per week (a gap where none counted)."""
    figures = by_week(report)
    parts = _frame(
        "SLA compliance per week",
        "Share of milestones met on time, per ISO week of detection, one line per metric.",
        [(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)],
        1.0,
        weeks,
        WIDE,
    )
    measured = False
    for (metric, name), (colour, dash, marker) in zip(METRIC_NAMES.items(), STYLES, strict=True):
        points: list[tuple[float, float, float] | None] = []
        for i, week in enumerate(weeks):
            value = getattr(figures.get(week.key, {}).get(metric), "compliance", None)
            points.append(None if value is None else (_x(i, len(weeks), WIDE), _y(value, 1.0), value))
        segment: list[str] = []
        for point in [*points, None]:
            if point is None:
                if len(segment) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"'
                        f' stroke-dasharray="{dash}"/>'
                    )
                segment = []
                continue
            segment.append(f"{point[0]:.1f},{point[1]:.1f}")
        measured = measured or any(points)
        for point in points:
            if point is not None:
                parts.append(_marker(marker, point[0], point[1], colour))
                parts.append(f"<title>{escape(name)}: {point[2]:.0%}</title>")
    if not measured:
        parts.append(_nothing(WIDE))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it was escaped as it was added)


def _time_ticks(top: float) -> tuple[float, list[tuple[float, str]]]:
    """A round top for seconds, and its ticks in a fitting unit."""
    for unit, name in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if top >= unit * 2 or unit == 1:
            steps = max(1, -(-top // (unit * 4)))
            rounded = steps * unit * 4
            return rounded, [(rounded * k / 4, f"{int(steps * k)} {name}") for k in range(5)]
    return top, []  # pragma: no cover


def percentile_chart(report: SlaReport, weeks: list[Week], metric: str) -> Markup:
    """p50 (solid) and p90 (hatched) time to meet one metric, per week, as paired bars."""
    figures = by_week(report)
    values = [
        (
            getattr(figures.get(w.key, {}).get(metric), "p50", None),
            getattr(figures.get(w.key, {}).get(metric), "p90", None),
        )
        for w in weeks
    ]
    top, ticks = _time_ticks(max([v for pair in values for v in pair if v is not None] or [60]))
    name = METRIC_NAMES[metric]
    parts = _frame(
        f"{name}: p50 and p90 per week",
        f"Median (solid bar) and 90th percentile (hatched bar) time to {name.lower()}, per ISO week of detection.",
        ticks,
        top,
        weeks,
        NARROW,
    )
    colour = STYLES[list(METRIC_NAMES).index(metric)][0]
    slot = (NARROW - LEFT - RIGHT) / max(1, len(weeks))
    bar = min(18.0, slot / 3)
    for i, (p50, p90) in enumerate(values):
        x = _x(i, len(weeks), NARROW)
        for offset, value, fill, label in ((-bar, p50, colour, "p50"), (0.0, p90, f"url(#hatch-{metric})", "p90")):
            if value is None:
                continue
            y = _y(value, top)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{HEIGHT - BOTTOM - y:.1f}"'
                f' fill="{fill}" stroke="{colour}"><title>{label} {weeks[i].label}: {int(value)} s</title></rect>'
            )
    parts.insert(
        2,
        f'<defs><pattern id="hatch-{metric}" width="6" height="6" patternUnits="userSpaceOnUse"'
        f' patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="3"/></pattern></defs>',
    )
    if all(p50 is None and p90 is None for p50, p90 in values):
        parts.append(_nothing(NARROW))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it was escaped as it was added)


def _nothing(width: int) -> str:
    return (
        f'<text x="{(width + LEFT) / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" class="nothing">'
        "Nothing measured in this period</text>"
    )


def legend() -> Markup:
    """The compliance chart's legend: each metric's marker and dash beside its name."""
    items = []
    for (_, name), (colour, dash, marker) in zip(METRIC_NAMES.items(), STYLES, strict=True):
        items.append(
            f'<li><svg width="34" height="14" aria-hidden="true"><line x1="1" x2="33" y1="7" y2="7" stroke="{colour}"'
            f' stroke-width="2" stroke-dasharray="{dash}"/>{_marker(marker, 17, 7, colour)}</svg>{escape(name)}</li>'
        )
    return Markup('<ul class="legend">' + "".join(items) + "</ul>")  # noqa: S704 (names escaped above)
