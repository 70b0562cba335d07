"""SLA and coverage reports, computed in PostgreSQL over the stored views (never by loading events).

Stored views are rendered as of their incident's latest event; these queries age them to `now`:
a pending milestone whose due time has passed counts as breached, a running update gap already
overdue counts as a breached sample (both in the SQL form of `projections/view_queries.py`), and
an open incident's missing roles accrue uncovered time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from ledger.store.database import export_snapshot, use_snapshot
from projections.view_queries import BREACHED, MET, milestone_state, overdue, past_due
from schemas.api import (
    AssigneeLoad,
    CoverageReport,
    MetricFigures,
    ReachFigures,
    RoleCoverage,
    SlaGroup,
    SlaMetrics,
    SlaReport,
)

T = TypeVar("T")
SPARE_WAIT_S = 0.01  # how long a report waits for a second connection before going without
# Enough for a report's sorts (its groups, each percentile) to stay in memory rather than spill to
# disk; per report connection, for the report's transaction only.
REPORT_WORK_MEM = "32MB"

# The narrow rows the reports read (tables of the baseline migration), derived from the
# incident_views rows by the incident_views projection in the same transaction. A milestone's
# state is a code (`milestone_state`, projections/view_queries.py); 'infinity' is no due time,
# -1 no elapsed time.

SLA_ROWS = f"""
INSERT INTO sla_report_rows
SELECT v.start_at,
       coalesce(v.ack_due_at, 'infinity'), coalesce(v.first_due_at, 'infinity'),
       coalesce(v.resolve_due_at, 'infinity'),
       CASE WHEN v.status = 'open' AND v.update_next_due_at > v.as_of THEN v.update_next_due_at
            ELSE 'infinity' END,
       coalesce(v.ack_elapsed, -1), coalesce(v.first_elapsed, -1), coalesce(v.resolve_elapsed, -1),
       cardinality(v.update_gap_seconds), cardinality(array_positions(v.update_gap_breached, true)),
       v.update_unanswered,
       {milestone_state("v.ack")},
       {milestone_state("v.first")},
       {milestone_state("v.resolve")},
       v.update_target IS NOT NULL,
       v.incident_id, v.tenant_id, v.severity, v.channel, to_char(v.start_at AT TIME ZONE 'UTC', 'IYYY-"W"IW'),
       v.scenario, v.update_gap_seconds, v.peak_reach
  FROM incident_views v WHERE v.tenant_id = $1"""
COVERAGE_ROWS = """
INSERT INTO coverage_report_rows
SELECT v.start_at, v.as_of, coalesce(v.ack_due_at, 'infinity'),
       coalesce((v.uncovered_seconds ->> role)::bigint, 0),
       v.status = 'open', v.missing_at_ack_due IS NOT NULL, coalesce(role = ANY(v.missing_at_ack_due), false),
       role = ANY(v.missing_roles),
       v.incident_id, v.tenant_id, role, v.severity, v.channel, v.scenario
  FROM incident_views v, unnest(v.required_roles) AS role
 WHERE v.tenant_id = $1"""
# (a tenant's: all of them, as a rebuild writes them; or those of the incidents in $2)
SLA_ROWS_OF = SLA_ROWS + " AND v.incident_id = ANY($2::uuid[])"
COVERAGE_ROWS_OF = COVERAGE_ROWS + " AND v.incident_id = ANY($2::uuid[])"
DELETE_REPORT_ROWS_OF = """
WITH sla AS (DELETE FROM sla_report_rows WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[]))
DELETE FROM coverage_report_rows WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[])
"""
DELETE_REPORT_ROWS = """
WITH sla AS (DELETE FROM sla_report_rows WHERE tenant_id = $1)
DELETE FROM coverage_report_rows WHERE tenant_id = $1
"""

# After `WHERE v.tenant_id = $1` (written out in each statement, where the tenant scoping check
# sees it): $2 since, $3 until, $4 severity, $5 scenario, $6 channel (NULL = any).
_FILTERS = """
   AND ($2::timestamptz IS NULL OR v.start_at >= $2)
   AND ($3::timestamptz IS NULL OR v.start_at < $3)
   AND ($4::text IS NULL OR v.severity = $4)
   AND ($5::text IS NULL OR v.scenario = $5)
   AND ($6::text IS NULL OR v.channel = $6)
"""


_GROUP_KEY = """
CASE $7::text
    WHEN 'severity' THEN v.severity
    WHEN 'scenario' THEN v.scenario
    WHEN 'channel' THEN v.channel
    WHEN 'week' THEN v.start_week
END"""


_MILESTONES = ("ack", "first", "resolve")
_FRACTIONS = "ARRAY[0.5, 0.9, 0.95]::float8[]"
_PERCENTILES = f"percentile_cont({_FRACTIONS})"


def _milestone(p: str, *, collect: bool = False) -> str:
    """A milestone's figures, aggregated straight from its columns (one pass, no unpivoting).
    Counted: met or breached, or still pending past its due time; sampled: met or breached
    with an elapsed time. `collect`: the samples as an array (`{p}_samples`), not percentiles."""
    late = overdue(p, "$8", coded=True)
    settled = f"{p}_state IN ({MET}, {BREACHED}) AND {p}_elapsed >= 0"
    if collect:
        samples = f"array_agg({p}_elapsed) FILTER (WHERE {settled}) AS {p}_samples"
    else:
        samples = f"{_PERCENTILES} WITHIN GROUP (ORDER BY {p}_elapsed) FILTER (WHERE {settled}) AS {p}_pct"
    return f"""
       count(*) FILTER (WHERE {p}_state IN ({MET}, {BREACHED}) OR {late}) AS {p}_count,
       count(*) FILTER (WHERE {p}_state = {BREACHED} OR {late}) AS {p}_breached,
       {samples},
       max({p}_elapsed) FILTER (WHERE {settled}) AS {p}_max,"""


_RUNNING_LATE = f"({past_due('update_running_due', '$8')})::int"
_UPDATE_COUNTS = f"""
       coalesce(sum(update_gaps + update_unanswered + {_RUNNING_LATE})
           FILTER (WHERE has_update_target), 0) AS update_count,
       coalesce(sum(update_gaps_breached + update_unanswered + {_RUNNING_LATE})
           FILTER (WHERE has_update_target), 0) AS update_breached"""

# The group's peak reach: how many incidents gave one, the highest, and (ungrouped) the median.
_REACH = """,
       count(peak_reach) AS reach_count, max(peak_reach) AS reach_max"""
_REACH_P50 = f"{_REACH}, percentile_cont(0.5) WITHIN GROUP (ORDER BY peak_reach) AS reach_p50"
# (Unordered, sorted by ledger_sorted: an aggregate with an ORDER BY of its own cannot be hashed.)
_REACH_SAMPLES = f"{_REACH}, array_agg(peak_reach) FILTER (WHERE peak_reach IS NOT NULL) AS reach_samples"

# $7 group_by, $8 now. One row per group, every metric in columns: each incident row is read once
# and each percentile is one sort. A running update gap that went overdue after the view's as_of
# is one more breached sample.
SLA_REPORT = f"""
SELECT {_GROUP_KEY} AS gkey, {"".join(_milestone(p) for p in _MILESTONES)} {_UPDATE_COUNTS} {_REACH_P50}
  FROM sla_report_rows v WHERE v.tenant_id = $1 {_FILTERS}
 GROUP BY 1 ORDER BY 1 NULLS FIRST
"""

# The same, grouped ($7 not NULL). An ordered-set aggregate (percentile_cont) cannot be computed
# by hashing, so SLA_REPORT sorts every row, all its columns, by the group key before aggregating.
# Here the groups are hashed, each collecting its samples into arrays, and each group's
# percentiles are read off its sorted arrays (`ledger_percentiles`, baseline migration: the figures
# percentile_cont gives, to the bit). Ungrouped, SLA_REPORT stays: it sorts nothing but the samples.
_FROM_SAMPLES = ", ".join(
    f"{p}_count, {p}_breached, {p}_max, ledger_percentiles(ledger_sorted({p}_samples), {_FRACTIONS}) AS {p}_pct"
    for p in _MILESTONES
)
SLA_REPORT_GROUPED = f"""
SELECT gkey, {_FROM_SAMPLES}, update_count, update_breached, reach_count, reach_max,
       (ledger_percentiles(ledger_sorted(reach_samples), ARRAY[0.5]::float8[]))[1] AS reach_p50
  FROM (SELECT {_GROUP_KEY} AS gkey, {"".join(_milestone(p, collect=True) for p in _MILESTONES)} {_UPDATE_COUNTS}
               {_REACH_SAMPLES}
          FROM sla_report_rows v WHERE v.tenant_id = $1 {_FILTERS}
         GROUP BY 1) groups
 ORDER BY 1 NULLS FIRST
"""

# $7 group_by. Each completed update gap is a sample: elapsed seconds from the gap arrays, unnested
# in the select list (a lateral unnest in FROM is a function scan per row: about 1.5x the time).
SLA_UPDATE_GAPS = f"""
SELECT gkey, {_PERCENTILES} WITHIN GROUP (ORDER BY g) AS pct, max(g) AS max
  FROM (SELECT {_GROUP_KEY} AS gkey, unnest(v.update_gap_seconds) AS g
          FROM sla_report_rows v
         WHERE v.tenant_id = $1 AND v.has_update_target {_FILTERS}) gaps
 GROUP BY 1
"""

# $7 now. An open incident's missing roles accrue uncovered time after its view's as_of.
COVERAGE_ROLES = f"""
SELECT role,
       count(*) AS incidents_requiring,
       count(*) FILTER (WHERE CASE WHEN ack_due_passed THEN missing_when_ack_due
                                   ELSE is_open AND ack_due <= $7 AND missing_now END) AS missing_when_ack_due,
       sum(uncovered + CASE WHEN is_open AND missing_now AND $7 > as_of
                            THEN floor(extract(epoch FROM $7 - as_of))::bigint ELSE 0 END) AS uncovered_total
  FROM coverage_report_rows v WHERE v.tenant_id = $1 {_FILTERS}
 GROUP BY role ORDER BY role
"""


def _assignees(spans: str) -> str:
    """Per assignee: incidents held (a first span, seq 0, per incident) and peak concurrent open spans."""
    return f"""
WITH s AS NOT MATERIALIZED ({spans}),
points AS (
    SELECT assignee, start_at AS at, 1 AS delta, (seq = 0)::int AS first FROM s
    UNION ALL
    SELECT assignee, end_at, -1, 0 FROM s WHERE end_at IS NOT NULL
)
SELECT assignee, sum(first) AS incidents, max(open_now) AS peak
  FROM (
    -- at one instant an end (-1) is counted before a start (+1): back-to-back is not concurrent
    SELECT assignee, first,
           sum(delta) OVER (PARTITION BY assignee ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS open_now
      FROM points) r
 GROUP BY assignee ORDER BY assignee
"""


# With a filter the spans are those of the filtered incidents; without one, all the tenant's.
COVERAGE_ASSIGNEES = _assignees(f"""
    SELECT s.assignee, s.seq, s.start_at, s.end_at FROM assignee_spans s
      JOIN incident_views v ON v.tenant_id = s.tenant_id AND v.incident_id = s.incident_id
    WHERE v.tenant_id = $1 {_FILTERS}""")
# $2: the assignees whose figures to compute (the projection keeps assignee_load with it).
ASSIGNEE_LOAD_OF = _assignees("""
    SELECT s.assignee, s.seq, s.start_at, s.end_at FROM assignee_spans s
     WHERE s.tenant_id = $1 AND s.assignee = ANY($2::text[])""")
ASSIGNEE_LOAD_ALL = _assignees("""
    SELECT s.assignee, s.seq, s.start_at, s.end_at FROM assignee_spans s WHERE s.tenant_id = $1""")
# Without a filter: the figures the projection keeps.
COVERAGE_ASSIGNEES_ALL = """
SELECT assignee, incidents, peak FROM assignee_load WHERE tenant_id = $1 ORDER BY assignee
"""


# The incidents an SLA report with the same filters counts, in detection order (the order the
# what-if lists its changes in), read through a cursor a page at a time; and how many they are.
# (No index orders them: one sort for the whole window, rather than one per page.)
WHAT_IF_INCIDENTS = f"""
SELECT v.incident_id FROM sla_report_rows v
 WHERE v.tenant_id = $1 {_FILTERS}
 ORDER BY v.start_at, v.incident_id
"""
WHAT_IF_COUNT = f"SELECT count(*) FROM sla_report_rows v WHERE v.tenant_id = $1 {_FILTERS}"


@dataclass(frozen=True)
class ReportFilter:
    since: datetime | None = None
    until: datetime | None = None
    severity: str | None = None
    scenario: str | None = None
    channel: str | None = None

    def args(self, tenant: str) -> tuple[Any, ...]:
        return (tenant, self.since, self.until, self.severity, self.scenario, self.channel)


async def in_one_snapshot(pool: asyncpg.Pool, *queries: Callable[[asyncpg.Connection], Awaitable[T]]) -> list[T]:
    """Run read-only queries in one snapshot: at once, each on its own connection, when the pool
    has spare connections right away; else one after another on one (never waiting for a
    second connection while holding the first: many reports at once could hold them all)."""
    async with contextlib.AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(pool.acquire())]
        for _ in queries[1:]:
            try:
                conns.append(await stack.enter_async_context(pool.acquire(timeout=SPARE_WAIT_S)))
            except TimeoutError:
                conns = conns[:1]
                break
        for c in conns:
            await stack.enter_async_context(c.transaction(isolation="repeatable_read", readonly=True))
            # Plans for the filters actually given: a generic plan, which PostgreSQL would switch
            # a prepared report to after five runs, cannot drop the "$n IS NULL OR ..." filters.
            await c.execute(f"SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        if len(conns) == 1:
            return [await query(conns[0]) for query in queries]
        snapshot = await export_snapshot(conns[0])
        for c in conns[1:]:
            await use_snapshot(c, snapshot)
        return list(await asyncio.gather(*(query(c) for query, c in zip(queries, conns, strict=True))))


_EMPTY = MetricFigures(count=0, met=0, breached=0, compliance=None, p50=None, p90=None, p95=None, max=None)


async def sla_report(
    pool: asyncpg.Pool, tenant: str, flt: ReportFilter, group_by: str | None, now: datetime
) -> SlaReport:
    rows, gap_rows = await in_one_snapshot(
        pool,
        lambda c: c.fetch(SLA_REPORT if group_by is None else SLA_REPORT_GROUPED, *flt.args(tenant), group_by, now),
        lambda c: c.fetch(SLA_UPDATE_GAPS, *flt.args(tenant), group_by),
    )
    gaps = {r["gkey"]: r for r in gap_rows}
    groups: list[SlaGroup] = []
    for row in rows:
        update = gaps.get(row["gkey"])
        metrics = SlaMetrics(
            acknowledge=_metric(row["ack_count"], row["ack_breached"], row["ack_pct"], row["ack_max"]),
            first_response=_metric(row["first_count"], row["first_breached"], row["first_pct"], row["first_max"]),
            update=_metric(
                row["update_count"],
                row["update_breached"],
                update["pct"] if update else None,
                update["max"] if update else None,
            ),
            resolve=_metric(row["resolve_count"], row["resolve_breached"], row["resolve_pct"], row["resolve_max"]),
        )
        reach = ReachFigures(incidents=row["reach_count"], peak_max=row["reach_max"], peak_p50=row["reach_p50"])
        groups.append(SlaGroup(key=row["gkey"], metrics=metrics, reach=reach))
    if group_by is None and not groups:
        empty = SlaMetrics(acknowledge=_EMPTY, first_response=_EMPTY, update=_EMPTY, resolve=_EMPTY)
        groups.append(SlaGroup(key=None, metrics=empty, reach=ReachFigures(incidents=0, peak_max=None, peak_p50=None)))
    return SlaReport(groups=groups)


def _metric(count: int, breached: int, pct: list[float] | None, longest: int | None) -> MetricFigures:
    if not count:
        return _EMPTY
    p50, p90, p95 = pct or (None, None, None)
    met = count - breached
    return MetricFigures(
        count=count, met=met, breached=breached, compliance=met / count, p50=p50, p90=p90, p95=p95, max=longest
    )


async def coverage_report(pool: asyncpg.Pool, tenant: str, flt: ReportFilter, now: datetime) -> CoverageReport:
    if flt == ReportFilter():
        assignees_query, assignees_args = COVERAGE_ASSIGNEES_ALL, (tenant,)
    else:
        assignees_query, assignees_args = COVERAGE_ASSIGNEES, flt.args(tenant)
    roles, assignees = await in_one_snapshot(
        pool,
        lambda c: c.fetch(COVERAGE_ROLES, *flt.args(tenant), now),
        lambda c: c.fetch(assignees_query, *assignees_args),
    )
    return CoverageReport(
        roles=[
            RoleCoverage(
                role=r["role"],
                incidents_requiring=r["incidents_requiring"],
                missing_when_ack_due=r["missing_when_ack_due"],
                uncovered_seconds_total=int(r["uncovered_total"]),
                uncovered_seconds_mean=int(r["uncovered_total"]) / r["incidents_requiring"],
            )
            for r in roles
        ],
        assignees=[
            AssigneeLoad(assignee=a["assignee"], incidents=a["incidents"], peak_concurrent_open=a["peak"])
            for a in assignees
        ],
    )
