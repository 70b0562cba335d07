"""Before a what-if runs (the API's `POST /v1/policy/what-if` and the plan page's preview alike):
the window checked, the tenant's views brought up to date, the window's size held to the cap."""

from __future__ import annotations

import asyncpg

from ledger.domain.errors import InvalidValue
from projections.fold_cache import FoldCache
from projections.reports import ReportFilter
from projections.runner import Projection, catch_up_all
from projections.whatif import window_size


async def checked_window(
    pool: asyncpg.Pool,
    projections: dict[str, Projection],
    folds: FoldCache | None,
    tenant: str,
    flt: ReportFilter,
    cap: int,
) -> int:
    """How many incidents the what-if over `flt` will measure; refused (InvalidValue) for a window
    that is empty or backwards, or of more than `cap` incidents (LEDGER_WHAT_IF_MAX_INCIDENTS)."""
    if flt.since is not None and flt.until is not None and flt.since >= flt.until:
        raise InvalidValue("since must be before until", field="since")
    await catch_up_all(pool, projections, tenant, folds)
    size = await window_size(pool, tenant, flt)
    if size > cap:
        raise InvalidValue(
            f"the window holds {size:,} incidents, more than the {cap:,} a what-if measures: narrow it"
            " (since, until) or filter it (severity, scenario, channel), and run one what-if per part",
            field="until",
        )
    return size
