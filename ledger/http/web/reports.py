"""The reports page (SLA compliance and p50/p90 per week as charts, coverage per role) and its CSV
downloads, from the same report queries as `GET /v1/reports/*`."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response, Template

from ledger.clock import Clock
from ledger.http.web import charts
from ledger.http.web.pages import page
from ledger.http.web.present import METRIC_NAMES
from ledger.http.web.session import SEE, session_of
from ledger.service.report_reads import role_coverage, weekly_sla

PERIODS = (4, 12, 26, 52)
Weeks = Annotated[int, QueryParameter(ge=1, le=104)]


@get("/reports", opt=SEE)
async def reports_page(request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12) -> Template:
    now = clock()
    since = now - timedelta(weeks=weeks)
    tenant = session_of(request).principal.tenant
    state = request.app.state
    sla = await weekly_sla(state.pool, state.projections, tenant, since, now)
    coverage = await role_coverage(state.pool, state.projections, tenant, since, now)
    span = charts.weeks_between(since, now)
    return page(
        request,
        "reports.html",
        weeks=weeks,
        periods=PERIODS,
        span=span,
        figures=charts.by_week(sla),
        compliance_chart=charts.compliance_chart(sla, span),
        legend=charts.legend(),
        percentile_charts=[(name, charts.percentile_chart(sla, span, m)) for m, name in METRIC_NAMES.items()],
        coverage=coverage,
    )


# A cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection"):
# such a text is written with a leading apostrophe, which spreadsheets show as plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _csv(rows: list[list[object]], filename: str) -> Response[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return Response(
        out.getvalue().encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@get("/reports/sla.csv", opt=SEE)
async def sla_csv(request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12) -> Response[bytes]:
    now = clock()
    state = request.app.state
    sla = await weekly_sla(
        state.pool, state.projections, session_of(request).principal.tenant, now - timedelta(weeks=weeks), now
    )
    rows: list[list[object]] = [
        ["week", "metric", "count", "met", "breached", "compliance", "p50", "p90", "p95", "max"]
    ]
    for group in sla.groups:
        for metric in METRIC_NAMES:
            f = getattr(group.metrics, metric)
            rows.append([group.key, metric, f.count, f.met, f.breached, f.compliance, f.p50, f.p90, f.p95, f.max])
    return _csv(rows, "sla-by-week.csv")


@get("/reports/coverage.csv", opt=SEE)
async def coverage_csv(
    request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12
) -> Response[bytes]:
    now = clock()
    state = request.app.state
    tenant = session_of(request).principal.tenant
    report = await role_coverage(state.pool, state.projections, tenant, now - timedelta(weeks=weeks), now)
    rows: list[list[object]] = [
        ["role", "incidents_requiring", "missing_when_ack_due", "uncovered_seconds_total", "uncovered_seconds_mean"]
    ]
    for r in report.roles:
        rows.append(
            [r.role, r.incidents_requiring, r.missing_when_ack_due, r.uncovered_seconds_total, r.uncovered_seconds_mean]
        )
    return _csv(rows, "coverage-by-role.csv")
