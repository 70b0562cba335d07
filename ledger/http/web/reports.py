"""The reports page (SLA compliance and p50/p90 per week as charts, coverage per role) and its CSV
downloads, from the same report queries as `GET /v1/reports/*`."""

from __future__ import annotations

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
from projections import report_csv
from projections.reports import ReportFilter, coverage_report, sla_report
from projections.runner import catch_up_all

PERIODS = (4, 12, 26, 52)
Weeks = Annotated[int, QueryParameter(ge=1, le=104)]


@get("/reports", opt=SEE)
async def reports_page(request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12) -> Template:
    now = clock()
    since = now - timedelta(weeks=weeks)
    tenant = session_of(request).principal.tenant
    state = request.app.state
    await catch_up_all(state.pool, state.projections, tenant, state.folds)  # (once for both reports)
    sla = await sla_report(state.pool, tenant, ReportFilter(since=since), "week", now)
    coverage = await coverage_report(state.pool, tenant, ReportFilter(since=since), now)
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


def _csv(text: str, filename: str) -> Response[bytes]:
    return Response(
        text.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The downloads are the API's CSV (projections.report_csv: a header row, one row per group and
# metric, formula-looking text neutralised), for the page's period.


@get("/reports/sla.csv", opt=SEE)
async def sla_csv(request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12) -> Response[bytes]:
    now = clock()
    state = request.app.state
    tenant = session_of(request).principal.tenant
    await catch_up_all(state.pool, state.projections, tenant, state.folds)
    report = await sla_report(state.pool, tenant, ReportFilter(since=now - timedelta(weeks=weeks)), "week", now)
    return _csv(report_csv.sla_csv(report, "week"), "sla-by-week.csv")


@get("/reports/coverage.csv", opt=SEE)
async def coverage_csv(
    request: Request[Any, Any, Any], clock: NamedDependency[Clock], weeks: Weeks = 12
) -> Response[bytes]:
    now = clock()
    state = request.app.state
    tenant = session_of(request).principal.tenant
    await catch_up_all(state.pool, state.projections, tenant, state.folds)
    report = await coverage_report(state.pool, tenant, ReportFilter(since=now - timedelta(weeks=weeks)), now)
    return _csv(report_csv.coverage_csv(report), "coverage.csv")
