"""Reports: SLA compliance and percentiles, role coverage and load."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from ledger.clock import Clock
from ledger.http.auth import READ, principal_of
from ledger.http.openapi import ERRORS_READ
from ledger.http.problems import problem
from projections.reports import ReportFilter, coverage_report, sla_report
from projections.runner import catch_up_all
from schemas.api import CoverageReport, SlaReport
from schemas.events import Channel, Severity

Since = Annotated[datetime | None, QueryParameter(description="Incidents detected at or after (RFC 3339)")]
Until = Annotated[datetime | None, QueryParameter(description="Incidents detected before (RFC 3339)")]
Scenario = Annotated[str | None, QueryParameter(max_length=64)]
GroupBy = Annotated[str | None, QueryParameter(pattern="^(severity|scenario|channel|week)$")]


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


@get("/v1/reports/sla", opt=READ, responses=ERRORS_READ, tags=["reports"], summary="SLA compliance")
async def report_sla(
    request: Request[Any, Any, Any],
    clock: NamedDependency[Clock],
    since: Since = None,
    until: Until = None,
    severity: FromQuery[Severity | None] = None,
    scenario: Scenario = None,
    channel: FromQuery[Channel | None] = None,
    group_by: GroupBy = None,
) -> SlaReport:
    tenant = principal_of(request).tenant
    pool = request.app.state.pool
    await catch_up_all(pool, request.app.state.projections, tenant, request.app.state.folds)
    flt = _filter(since, until, severity, scenario, channel)
    return await sla_report(pool, tenant, flt, group_by, clock())


@get("/v1/reports/coverage", opt=READ, responses=ERRORS_READ, tags=["reports"], summary="Role coverage")
async def report_coverage(
    request: Request[Any, Any, Any],
    clock: NamedDependency[Clock],
    since: Since = None,
    until: Until = None,
    severity: FromQuery[Severity | None] = None,
    scenario: Scenario = None,
    channel: FromQuery[Channel | None] = None,
) -> CoverageReport:
    tenant = principal_of(request).tenant
    pool = request.app.state.pool
    await catch_up_all(pool, request.app.state.projections, tenant, request.app.state.folds)
    flt = _filter(since, until, severity, scenario, channel)
    return await coverage_report(pool, tenant, flt, clock())
