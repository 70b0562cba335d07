"""The SLA and coverage reports as CSV: a header row, then one row per group and metric (SLA) or per
role and assignee (coverage), written with the stdlib `csv` module.

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return as a formula, so such a cell gets a leading `'`. Only names a
client chose can start so (an assignee such as `=HYPERLINK(...)`): group keys are severities,
channels, ISO weeks and scenarios (`^[a-z0-9][a-z0-9_-]*$`), and the figures written here are never
negative. Empty cells are nulls; floats are written in Python's shortest round-trip spelling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from schemas.api import CoverageReport, MetricFigures, SlaReport

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SLA_COLUMNS = ("group_by", "group", "metric", "count", "met", "breached", "compliance", "p50", "p90", "p95", "max")
COVERAGE_COLUMNS = (
    "kind",
    "name",
    "incidents_requiring",
    "missing_when_ack_due",
    "uncovered_seconds_total",
    "uncovered_seconds_mean",
    "incidents",
    "peak_concurrent_open",
)
METRICS = ("acknowledge", "first_response", "update", "resolve")


def cell(value: object) -> str:
    """One cell: null empty, numbers as Python spells them, text neutralised against formulas."""
    if value is None:
        return ""
    text = repr(value) if isinstance(value, float) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # (RFC 4180's line ends)
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def _figures(f: MetricFigures) -> tuple[object, ...]:
    return (f.count, f.met, f.breached, f.compliance, f.p50, f.p90, f.p95, f.max)


def sla_csv(report: SlaReport, group_by: str | None) -> str:
    rows = [
        (group_by, group.key, metric, *_figures(getattr(group.metrics, metric)))
        for group in report.groups
        for metric in METRICS
    ]
    return _csv(SLA_COLUMNS, rows)


def coverage_csv(report: CoverageReport) -> str:
    roles = [
        (
            "role",
            r.role,
            r.incidents_requiring,
            r.missing_when_ack_due,
            r.uncovered_seconds_total,
            r.uncovered_seconds_mean,
            None,
            None,
        )
        for r in report.roles
    ]
    assignees = [
        ("assignee", a.assignee, None, None, None, None, a.incidents, a.peak_concurrent_open) for a in report.assignees
    ]
    return _csv(COVERAGE_COLUMNS, [*roles, *assignees])
