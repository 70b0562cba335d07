"""The reports as the crisis room shows them: brought up to date first, as the API's report routes do."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from projections.fold_cache import FoldCache
from projections.reports import ReportFilter, coverage_report, sla_report
from projections.runner import Projection, catch_up_all
from schemas.api import CoverageReport, SlaReport


async def weekly_sla(
    pool: asyncpg.Pool,
    projections: dict[str, Projection],
    folds: FoldCache | None,
    tenant: str,
    since: datetime,
    now: datetime,
) -> SlaReport:
    """SLA compliance and percentiles per ISO week of detection, for incidents detected since `since`."""
    await catch_up_all(pool, projections, tenant, folds)
    return await sla_report(pool, tenant, ReportFilter(since=since), "week", now)


async def role_coverage(
    pool: asyncpg.Pool,
    projections: dict[str, Projection],
    folds: FoldCache | None,
    tenant: str,
    since: datetime,
    now: datetime,
) -> CoverageReport:
    await catch_up_all(pool, projections, tenant, folds)
    return await coverage_report(pool, tenant, ReportFilter(since=since), now)
