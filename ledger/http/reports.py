"""Reports: SLA compliance and percentiles, role coverage and load; JSON, or CSV by `Accept: text/csv`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from ledger.clock import Clock
from ledger.http.auth import READ, principal_of
from ledger.http.negotiation import preferred
from ledger.http.openapi import ERRORS_READ, also_served_as
from ledger.http.problems import problem
from projections.report_csv import coverage_csv, sla_csv
from projections.reports import ReportFilter, coverage_report, sla_report
from projections.runner import catch_up_all
from schemas.api import CoverageReport, SlaReport
from schemas.events import Channel, Severity

Since = Annotated[datetime | None, QueryParameter(description="Incidents detected at or after (RFC 3339)")]
Until = Annotated[datetime | None, QueryParameter(description="Incidents detected before (RFC 3339)")]
Scenario = Annotated[str | None, QueryParameter(max_length=64)]
GroupBy = Annotated[str | None, QueryParameter(pattern="^(severity|scenario|channel|week)$")]


CSV = "text/csv"
CSV_TYPE = f"{CSV}; charset=utf-8; header=present"


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    """CSV when `Accept` prefers it to JSON; JSON otherwise (also for types neither serves)."""
    return preferred(request.headers.get("accept"), ("application/json", CSV)) == CSV


def _csv(text: str, name: str) -> Response[Any]:
    disposition = f'attachment; filename="{name}.csv"'
    return Response(text.encode(), media_type=CSV_TYPE, headers={"Content-Disposition": disposition})


def _filter(since: datetime | None, until: datetime | None, severity: Any, scenario: Any, channel: Any) -> ReportFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise problem(400, "invalid-parameter", "A query parameter is invalid", f"{name} needs a time zone (Z)")
    return ReportFilter(
        since=since,
        until=until,
        severity=str(severity) if severity else None,
        scenario=scenario,
        channel=str(channel) if channel else None,
    )


@get(
    "/v1/reports/sla",
    opt=READ,
    responses=ERRORS_READ,
    operation_class=also_served_as(CSV_TYPE),
    tags=["reports"],
    summary="SLA compliance (JSON, or CSV by Accept)",
)
async def report_sla(
    request: Request[Any, Any, Any],
    clock: NamedDependency[Clock],
    since: Since = None,
    until: Until = None,
    severity: FromQuery[Severity | None] = None,
    scenario: Scenario = None,
    channel: FromQuery[Channel | None] = None,
    group_by: GroupBy = None,
) -> Response[SlaReport]:
    tenant = principal_of(request).tenant
    pool = request.app.state.pool
    await catch_up_all(pool, request.app.state.projections, tenant, request.app.state.folds)
    flt = _filter(since, until, severity, scenario, channel)
    report = await sla_report(pool, tenant, flt, group_by, clock())
    return _csv(sla_csv(report, group_by), "sla-report") if wants_csv(request) else Response(report)


@get(
    "/v1/reports/coverage",
    opt=READ,
    responses=ERRORS_READ,
    operation_class=also_served_as(CSV_TYPE),
    tags=["reports"],
    summary="Role coverage (JSON, or CSV by Accept)",
)
async def report_coverage(
    request: Request[Any, Any, Any],
    clock: NamedDependency[Clock],
    since: Since = None,
    until: Until = None,
    severity: FromQuery[Severity | None] = None,
    scenario: Scenario = None,
    channel: FromQuery[Channel | None] = None,
) -> Response[CoverageReport]:
    tenant = principal_of(request).tenant
    pool = request.app.state.pool
    await catch_up_all(pool, request.app.state.projections, tenant, request.app.state.folds)
    flt = _filter(since, until, severity, scenario, channel)
    report = await coverage_report(pool, tenant, flt, clock())
    return _csv(coverage_csv(report), "coverage-report") if wants_csv(request) else Response(report)
