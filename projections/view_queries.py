"""Queries over the stored incident views, and the SQL form of the SLA rules that age them.

Stored views are rendered as of their incident's latest event; a query asks about `now`. The rule
it applies is the one `projections/sla.py` applies in Python (the authority): a due time is an
instant, and a milestone still pending when its due time has come counts as breached. That rule
is written in SQL here only (`past_due`, `overdue`), as is the milestone state encoding of the
report rows (`milestone_state`); the list filters, the reports (`projections/reports.py`) and
the breach watch (`ledger/workers/breach_watch.py`) all build their SQL from these. They are
Python builders of SQL text rather than SQL functions so that each statement's text, and so its
plan and its use of the views' indexes, stays what it was written as.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

# A milestone's state in the report rows (`sla_report_rows.{ack,first,resolve}_state`).
NO_TARGET, PENDING, MET, BREACHED, CANCELLED = range(5)


def past_due(due: str, now: str) -> str:
    """SQL: the due time `due` has come at `now`: a milestone still pending is breached."""
    return f"{due} <= {now}"


def pending(p: str, *, coded: bool = False) -> str:
    """SQL: milestone `p` (`v.ack`, or `ack` in the report rows: `coded`) is pending."""
    return f"{p}_state = {PENDING}" if coded else f"{p}_status = 'pending'"


def overdue(p: str, now: str, *, coded: bool = False) -> str:
    """SQL: milestone `p` is pending past its due time at `now`, so it counts as breached."""
    due = f"{p}_due" if coded else f"{p}_due_at"
    return f"({pending(p, coded=coded)} AND {past_due(due, now)})"


def milestone_state(p: str) -> str:
    """SQL: view milestone `p` (`v.ack`) as its report-row state code (NO_TARGET … CANCELLED)."""
    return (
        f"CASE WHEN {p}_target IS NULL THEN {NO_TARGET} WHEN {p}_status = 'pending' THEN {PENDING}"
        f" WHEN {p}_status = 'met' THEN {MET} WHEN {p}_status = 'breached' THEN {BREACHED} ELSE {CANCELLED} END"
    )


# --- incident lists -------------------------------------------------------------------------------

_MILESTONES = ("v.ack", "v.first", "v.resolve")

# A view with a milestone breached by now ($11): breached as rendered, or pending past its due,
# or a running update gap past its due.
_BREACHED = (
    "("
    + " OR ".join(f"{p}_status = 'breached' OR {overdue(p, '$11')}" for p in _MILESTONES)
    + f" OR v.update_status = 'breached' OR (v.status = 'open' AND {past_due('v.update_next_due_at', '$11')}))"
)

_AT_RISK = """(v.status = 'open' AND (
       (v.ack_status = 'pending' AND v.ack_due_at > $11 AND v.ack_due_at <= $11 + make_interval(secs => $8))
    OR (v.first_status = 'pending' AND v.first_due_at > $11 AND v.first_due_at <= $11 + make_interval(secs => $8))
    OR (v.resolve_status = 'pending' AND v.resolve_due_at > $11
        AND v.resolve_due_at <= $11 + make_interval(secs => $8))
    OR (v.update_next_due_at > $11 AND v.update_next_due_at <= $11 + make_interval(secs => $8))))"""

# The filters are fixed SQL with NULL meaning "any": one prepared statement serves every
# combination, and no value ever reaches the SQL text.
_LIST_FILTERS = f"""
   AND ($2::text IS NULL OR i.status = $2)
   AND ($3::text IS NULL OR i.severity = $3)
   AND ($4::text IS NULL OR i.scenario = $4)
   AND ($5::text IS NULL OR i.channel = $5)
   AND ($6::bigint IS NULL OR i.created_position < $6)
   AND ($7::boolean IS NULL OR $7 = coalesce({_BREACHED}, false))
   AND ($8::integer IS NULL OR coalesce({_AT_RISK}, false))
   AND ($9::text IS NULL OR $9 = ANY(v.missing_roles))
 ORDER BY i.created_position DESC
 LIMIT $10
"""
LIST_INCIDENTS = f"""
SELECT i.id, i.created_position, i.version FROM incidents i
  LEFT JOIN incident_views v ON v.tenant_id = i.tenant_id AND v.incident_id = i.id
 WHERE i.tenant_id = $1{_LIST_FILTERS}"""
# With ?min_reach= ($12): from the views with that much peak reach (incident_views_reach), so a
# list of the few incidents that went far does not walk every incident of the tenant.
LIST_INCIDENTS_BY_REACH = f"""
SELECT i.id, i.created_position, i.version FROM incident_views v
  JOIN incidents i ON i.tenant_id = v.tenant_id AND i.id = v.incident_id
 WHERE v.tenant_id = $1 AND v.peak_reach >= $12{_LIST_FILTERS}"""


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    severity: str | None = None
    scenario: str | None = None
    channel: str | None = None
    breached: bool | None = None
    at_risk_within: int | None = None
    missing_role: str | None = None
    min_reach: int | None = None

    @property
    def needs_views(self) -> bool:
        return (
            self.breached is not None
            or self.at_risk_within is not None
            or self.missing_role is not None
            or self.min_reach is not None
        )


async def list_page(
    pool: asyncpg.Pool, tenant: str, flt: ListFilter, before: int | None, limit: int, now: datetime
) -> list[asyncpg.Record]:
    """The ids, `created_position`s and versions of a list page, newest first (views as of `now`)."""
    args = (
        tenant,
        flt.status,
        flt.severity,
        flt.scenario,
        flt.channel,
        before,
        flt.breached,
        flt.at_risk_within,
        flt.missing_role,
        limit,
        now,
    )
    if flt.min_reach is None:
        return await pool.fetch(LIST_INCIDENTS, *args)
    return await pool.fetch(LIST_INCIDENTS_BY_REACH, *args, flt.min_reach)


# --- the breach watch ----------------------------------------------------------------------------

TENANTS_WITH_OPEN = "SELECT DISTINCT tenant_id FROM incident_views WHERE status = 'open'"


def _due(ack: str, first: str, resolve: str, update: str) -> str:
    """SQL: `due`, milestones of tenant $1's open incidents picked by these conditions, with the
    running update gap (`update`: its UNION ALL arm, or nothing)."""
    return f"""
WITH due AS (
    SELECT incident_id, 'acknowledge' AS metric, ack_due_at AS due_at FROM incident_views
     WHERE tenant_id = $1 AND status = 'open' AND ({ack})
    UNION ALL
    SELECT incident_id, 'first_response', first_due_at FROM incident_views
     WHERE tenant_id = $1 AND status = 'open' AND ({first})
    UNION ALL
    SELECT incident_id, 'resolve', resolve_due_at FROM incident_views
     WHERE tenant_id = $1 AND status = 'open' AND ({resolve}){update}
)"""


_UPDATE_GAP = """
    UNION ALL
    SELECT incident_id, 'update', update_next_due_at FROM incident_views
     WHERE tenant_id = $1 AND status = 'open' AND update_next_due_at IS NOT NULL"""
# Pending milestones and the running update gap. $1 tenant, $2 now, $3 window.
_PENDING = _due(pending("ack"), pending("first"), pending("resolve"), _UPDATE_GAP)
_KIND = f"CASE WHEN {past_due('d.due_at', '$2')} THEN 'breached' ELSE 'at_risk' END"
# Those due within the warning window, without a notice of that kind yet.
_NOT_NOTICED = f"""
SELECT d.incident_id, d.metric, d.due_at,
       {_KIND} AS kind
  FROM due d
 WHERE d.due_at IS NOT NULL AND d.due_at <= $2 + $3::interval
   AND NOT EXISTS (
       SELECT 1 FROM sla_notices n
        WHERE n.tenant_id = $1 AND n.incident_id = d.incident_id AND n.metric = d.metric
          AND n.due_at = d.due_at AND n.kind = {_KIND})
 ORDER BY d.due_at
 LIMIT 200
"""
DUE_SOON = _PENDING + _NOT_NOTICED
# When a round found nothing due: the instant the next notice can fall due, as long as the views
# do not change. A pending milestone later than the window enters it (at_risk) at its due time
# minus the window; one inside it (its at_risk notice recorded) breaches at its due time.
NEXT_DUE = (
    _PENDING
    + """
SELECT min(CASE WHEN d.due_at > $2::timestamptz + $3::interval THEN d.due_at - $3::interval ELSE d.due_at END)
  FROM due d WHERE d.due_at > $2::timestamptz"""
)
# How far the tenant's views are: they change only when this moves.
VIEWS_POSITION = """
SELECT position FROM projection_checkpoints WHERE tenant_id = $1 AND projection = 'incident_views'
"""
# Milestones the view already shows breached and unfulfilled, without a breach notice: an event
# recorded after the due time (a notice of another milestone included) renders the view as of
# that event, where the milestone is no longer pending. Without this it would never get its
# notice. Every open incident's breached milestones are probed: run every few rounds only.
OVERDUE_UNNOTICED = (
    _due(
        ack="ack_status = 'breached' AND ack_met_at IS NULL",
        first="first_status = 'breached' AND first_met_at IS NULL",
        resolve="resolve_status = 'breached' AND resolve_met_at IS NULL",
        update="",
    )
    + _NOT_NOTICED
)


# The open incidents whose escalation suggestion is due (incident_views_escalation_due).
ESCALATIONS_DUE = """
SELECT incident_id FROM incident_views WHERE tenant_id = $1 AND escalation_due AND status = 'open' LIMIT 200
"""


async def escalations_due(conn: asyncpg.Connection, tenant: str) -> list[uuid.UUID]:
    return [row["incident_id"] for row in await conn.fetch(ESCALATIONS_DUE, tenant)]


async def tenants_with_open(pool: asyncpg.Pool) -> list[str]:
    return [row["tenant_id"] for row in await pool.fetch(TENANTS_WITH_OPEN)]


async def views_position(conn: asyncpg.Connection, tenant: str) -> int | None:
    return await conn.fetchval(VIEWS_POSITION, tenant)


async def notices_due(
    conn: asyncpg.Connection, tenant: str, now: datetime, window: timedelta, *, overdue_too: bool
) -> list[asyncpg.Record]:
    """(incident_id, metric, due_at, kind) of the notices due at `now`; `overdue_too`: also
    those of milestones the view already shows breached (OVERDUE_UNNOTICED)."""
    due = await conn.fetch(DUE_SOON, tenant, now, window)
    if overdue_too:
        due += await conn.fetch(OVERDUE_UNNOTICED, tenant, now, window)
    return due


async def next_due(conn: asyncpg.Connection, tenant: str, now: datetime, window: timedelta) -> datetime | None:
    return await conn.fetchval(NEXT_DUE, tenant, now, window)
