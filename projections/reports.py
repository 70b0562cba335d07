"""SLA and coverage reports, computed in PostgreSQL over the stored views (never by loading events).

Stored views are rendered as of their incident's latest event; these queries age them to `now`:
a pending milestone whose due time has passed counts as breached, a running update gap already
overdue counts as a breached sample, and an open incident's missing roles accrue uncovered time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

METRICS = ("acknowledge", "first_response", "update", "resolve")

# $1 tenant, $2 since, $3 until, $4 severity, $5 scenario, $6 channel (NULL = any).
_FILTERED = """
SELECT * FROM incident_views
 WHERE tenant_id = $1
   AND ($2::timestamptz IS NULL OR start_at >= $2)
   AND ($3::timestamptz IS NULL OR start_at < $3)
   AND ($4::text IS NULL OR severity = $4)
   AND ($5::text IS NULL OR scenario = $5)
   AND ($6::text IS NULL OR channel = $6)
"""

# $7 group_by, $8 now.
SLA_REPORT = f"""
WITH v AS ({_FILTERED}),
keyed AS (
    SELECT v.*,
           CASE $7::text
               WHEN 'severity' THEN severity
               WHEN 'scenario' THEN scenario
               WHEN 'channel' THEN channel
               WHEN 'week' THEN to_char(start_at AT TIME ZONE 'UTC', 'IYYY-"W"IW')
           END AS gkey
      FROM v
),
samples AS (
    SELECT gkey, 'acknowledge' AS metric,
           CASE WHEN ack_status = 'pending' AND ack_due_at <= $8 THEN 'breached' ELSE ack_status END AS outcome,
           ack_elapsed AS elapsed
      FROM keyed WHERE ack_target IS NOT NULL
    UNION ALL
    SELECT gkey, 'first_response',
           CASE WHEN first_status = 'pending' AND first_due_at <= $8 THEN 'breached' ELSE first_status END,
           first_elapsed
      FROM keyed WHERE first_target IS NOT NULL
    UNION ALL
    SELECT gkey, 'resolve',
           CASE WHEN resolve_status = 'pending' AND resolve_due_at <= $8 THEN 'breached' ELSE resolve_status END,
           resolve_elapsed
      FROM keyed WHERE resolve_target IS NOT NULL
    UNION ALL
    SELECT gkey, 'update', CASE WHEN g.breached THEN 'breached' ELSE 'met' END, g.seconds
      FROM keyed, unnest(update_gap_seconds, update_gap_breached) AS g(seconds, breached)
     WHERE update_target IS NOT NULL
    UNION ALL
    SELECT gkey, 'update', 'breached', NULL
      FROM keyed, generate_series(1, update_unanswered) AS n
     WHERE update_target IS NOT NULL
    UNION ALL
    -- a running gap that went overdue after the view's as_of
    SELECT gkey, 'update', 'breached', NULL
      FROM keyed
     WHERE update_target IS NOT NULL AND status = 'open'
       AND update_next_due_at > as_of AND update_next_due_at <= $8
),
figures AS (
    SELECT gkey, metric,
           count(*) FILTER (WHERE outcome IN ('met', 'breached')) AS count,
           count(*) FILTER (WHERE outcome = 'met') AS met,
           count(*) FILTER (WHERE outcome = 'breached') AS breached,
           percentile_cont(ARRAY[0.5, 0.9, 0.95]::float8[]) WITHIN GROUP (ORDER BY elapsed)
               FILTER (WHERE outcome IN ('met', 'breached')) AS pct,
           max(elapsed) FILTER (WHERE outcome IN ('met', 'breached')) AS max
      FROM samples GROUP BY gkey, metric
)
SELECT k.gkey, f.metric, f.count, f.met, f.breached, f.pct, f.max
  FROM (SELECT DISTINCT gkey FROM keyed) k
  LEFT JOIN figures f ON f.gkey IS NOT DISTINCT FROM k.gkey
 ORDER BY k.gkey NULLS FIRST, f.metric
"""

# $7 now.
COVERAGE_ROLES = f"""
WITH v AS ({_FILTERED}),
r AS (SELECT role, v.* FROM v, unnest(v.required_roles) AS role)
SELECT role,
       count(*) AS incidents_requiring,
       count(*) FILTER (WHERE role = ANY(
           CASE WHEN missing_at_ack_due IS NOT NULL THEN missing_at_ack_due
                WHEN status = 'open' AND ack_due_at <= $7 THEN missing_roles
                ELSE '{{}}'::text[] END)) AS missing_when_ack_due,
       sum(coalesce((uncovered_seconds ->> role)::bigint, 0)
           + CASE WHEN status = 'open' AND role = ANY(missing_roles) AND $7 > as_of
                  THEN floor(extract(epoch FROM $7 - as_of))::bigint ELSE 0 END) AS uncovered_total
  FROM r GROUP BY role ORDER BY role
"""

COVERAGE_ASSIGNEES = f"""
WITH v AS ({_FILTERED}),
s AS (
    SELECT s.* FROM assignee_spans s
      JOIN v ON v.tenant_id = s.tenant_id AND v.incident_id = s.incident_id
     WHERE s.tenant_id = $1
),
points AS (
    SELECT assignee, start_at AS at, 1 AS delta FROM s
    UNION ALL
    SELECT assignee, end_at, -1 FROM s WHERE end_at IS NOT NULL
),
running AS (
    -- at one instant an end (-1) is counted before a start (+1): back-to-back is not concurrent
    SELECT assignee, sum(delta) OVER (PARTITION BY assignee ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS open_now
      FROM points
)
SELECT a.assignee, a.incidents, p.peak
  FROM (SELECT assignee, count(DISTINCT incident_id) AS incidents FROM s GROUP BY assignee) a
  JOIN (SELECT assignee, max(open_now) AS peak FROM running GROUP BY assignee) p USING (assignee)
 ORDER BY a.assignee
"""


@dataclass(frozen=True)
class ReportFilter:
    since: datetime | None = None
    until: datetime | None = None
    severity: str | None = None
    scenario: str | None = None
    channel: str | None = None

    def args(self, tenant: str) -> tuple[Any, ...]:
        return (tenant, self.since, self.until, self.severity, self.scenario, self.channel)


def _empty_metric() -> dict[str, Any]:
    return {
        "count": 0,
        "met": 0,
        "breached": 0,
        "compliance": None,
        "p50": None,
        "p90": None,
        "p95": None,
        "max": None,
    }


async def sla_report(
    conn: asyncpg.Connection | asyncpg.Pool,
    tenant: str,
    flt: ReportFilter,
    group_by: str | None,
    now: datetime,
) -> dict[str, Any]:
    rows = await conn.fetch(SLA_REPORT, *flt.args(tenant), group_by, now)
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        metrics = groups.setdefault(row["gkey"], {m: _empty_metric() for m in METRICS})
        if row["metric"] is None:
            continue
        count = row["count"]
        pct = row["pct"] or [None, None, None]
        metrics[row["metric"]] = {
            "count": count,
            "met": row["met"],
            "breached": row["breached"],
            "compliance": row["met"] / count if count else None,
            "p50": pct[0],
            "p90": pct[1],
            "p95": pct[2],
            "max": row["max"],
        }
    if group_by is None and not groups:
        groups[None] = {m: _empty_metric() for m in METRICS}
    return {"groups": [{"key": key, "metrics": metrics} for key, metrics in groups.items()]}


async def coverage_report(
    conn: asyncpg.Connection | asyncpg.Pool, tenant: str, flt: ReportFilter, now: datetime
) -> dict[str, Any]:
    roles = await conn.fetch(COVERAGE_ROLES, *flt.args(tenant), now)
    assignees = await conn.fetch(COVERAGE_ASSIGNEES, *flt.args(tenant))
    return {
        "roles": [
            {
                "role": r["role"],
                "incidents_requiring": r["incidents_requiring"],
                "missing_when_ack_due": r["missing_when_ack_due"],
                "uncovered_seconds_total": int(r["uncovered_total"]),
                "uncovered_seconds_mean": int(r["uncovered_total"]) / r["incidents_requiring"],
            }
            for r in roles
        ],
        "assignees": [
            {"assignee": a["assignee"], "incidents": a["incidents"], "peak_concurrent_open": a["peak"]}
            for a in assignees
        ],
    }
