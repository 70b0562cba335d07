"""The policy what-if: the incidents of a window measured under their own plans and under a proposed one.

Both sides are measured by the code that measures everything else (projections/sla.py: one fold
of each incident's events, rendered once per plan), and counted into a report the way the SQL of
projections/reports.py counts the stored views: a milestone counts once met or breached (a
pending one past its due time is breached by the render), a sample is an elapsed time of one,
each completed update gap is a sample, and a gap overdue without a reply is one more breached
count; percentiles interpolate as PostgreSQL's `percentile_cont` does, to the bit. So the current
side equals `GET /v1/reports/sla` with the same filters (tests/test_whatif.py checks it).

Bounded: the incidents are read a page at a time (PAGE_SIZE streams) in one read-only snapshot;
what is kept across pages is per metric and side the counts and one integer per sample, and at
most CHANGED_LIMIT changed milestones (the earliest detected; `changed_total` counts them all).
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from ledger.domain.plan import Policy
from ledger.store.events import StreamEvent, stream_event_from_row
from ledger.store.policies import PolicyStore
from projections import reach
from projections import sla as slas
from projections.reports import WHAT_IF_COUNT, WHAT_IF_PAGE, ReportFilter
from projections.runner import STREAMS_AFTER
from schemas.api import (
    MetricFigures,
    MilestoneOutcome,
    ReachFigures,
    SlaGroup,
    SlaMetrics,
    SlaReport,
    WhatIfChange,
    WhatIfOut,
)
from schemas.blocks import Milestone, UpdateBlock
from schemas.events import Detected

PAGE_SIZE = 500
CHANGED_LIMIT = 10_000
METRICS = ("acknowledge", "first_response", "update", "resolve")
_FRACTIONS = (0.5, 0.9, 0.95)
_NIL = uuid.UUID(int=0)


def percentile_cont(ordered: Sequence[int], fraction: float) -> float:
    """PostgreSQL's percentile_cont over sorted values (orderedsetaggs.c: the same float steps)."""
    position = fraction * (len(ordered) - 1)
    lo, hi = math.floor(position), math.ceil(position)
    first = float(ordered[lo])
    if lo == hi:
        return first
    return first + (position - lo) * (float(ordered[hi]) - first)


@dataclass
class Tally:
    """One metric's figures as they accumulate over incidents."""

    count: int = 0
    breached: int = 0
    samples: list[int] = field(default_factory=list)

    def add_milestone(self, m: Milestone | None) -> None:
        if m is None or m.status not in ("met", "breached"):
            return
        self.count += 1
        self.breached += m.status == "breached"
        if m.elapsed_seconds is not None:
            self.samples.append(m.elapsed_seconds)

    def add_update(self, u: UpdateBlock | None) -> None:
        if u is None:
            return
        self.count += u.gaps + u.unanswered_breaches
        self.breached += sum(u.gap_breached) + u.unanswered_breaches
        self.samples.extend(u.gap_seconds)

    def figures(self) -> MetricFigures:
        if not self.count:
            return MetricFigures(count=0, met=0, breached=0, compliance=None, p50=None, p90=None, p95=None, max=None)
        ordered = sorted(self.samples)
        p50, p90, p95 = (percentile_cont(ordered, f) for f in _FRACTIONS) if ordered else (None, None, None)
        met = self.count - self.breached
        return MetricFigures(
            count=self.count,
            met=met,
            breached=self.breached,
            compliance=met / self.count,
            p50=p50,
            p90=p90,
            p95=p95,
            max=ordered[-1] if ordered else None,
        )


@dataclass
class ReportTally:
    metrics: dict[str, Tally] = field(default_factory=lambda: {m: Tally() for m in METRICS})
    # The peak reach of each incident that gave one (a plan does not change it: the same both sides).
    reach: list[int] = field(default_factory=list)

    def add(self, sla: slas.Sla, peak_reach: int | None) -> None:
        for metric in ("acknowledge", "first_response", "resolve"):
            self.metrics[metric].add_milestone(getattr(sla, metric))
        self.metrics["update"].add_update(sla.update)
        if peak_reach is not None:
            self.reach.append(peak_reach)

    def report(self) -> SlaReport:
        figures = {m: t.figures() for m, t in self.metrics.items()}
        ordered = sorted(self.reach)
        reach = ReachFigures(
            incidents=len(ordered),
            peak_max=ordered[-1] if ordered else None,
            peak_p50=percentile_cont(ordered, 0.5) if ordered else None,
        )
        return SlaReport(groups=[SlaGroup(key=None, metrics=SlaMetrics(**figures), reach=reach)])


def outcome(block: Milestone | UpdateBlock | None) -> MilestoneOutcome | None:
    return None if block is None else MilestoneOutcome(status=block.status, due_at=block.due_at)


@dataclass
class WhatIf:
    """The what-if as it accumulates, incident by incident (pure: `add` takes an incident's events)."""

    proposed_plan: Policy
    now: datetime
    limit: int = CHANGED_LIMIT
    current: ReportTally = field(default_factory=ReportTally)
    proposed: ReportTally = field(default_factory=ReportTally)
    changed: list[tuple[datetime, uuid.UUID, int, WhatIfChange]] = field(default_factory=list)
    changed_total: int = 0
    incidents: int = 0

    def add(self, events: Sequence[StreamEvent], own_plan: Policy) -> None:
        """One incident (its whole stream, in version order), under its own plan and the proposed one."""
        state = slas.fold(events)
        # As the stored view: rendered at its latest occurred_at at least, then aged to now.
        at = max(self.now, max(e.occurred_at for e in events))
        now_side, then_side = slas.render(state, own_plan, at), slas.render(state, self.proposed_plan, at)
        peak = reach.fold(events).peak
        self.current.add(now_side, peak)
        self.proposed.add(then_side, peak)
        self.incidents += 1
        start, incident_id = events[0].occurred_at, events[0].incident_id
        for rank, metric in enumerate(METRICS):
            before, after = outcome(getattr(now_side, metric)), outcome(getattr(then_side, metric))
            # A change is a different outcome: another status, or a target on one side only. A due
            # time that moves while the status stays is not one (every milestone of a retargeted
            # severity would be listed); both due times are shown with each change.
            if (before and before.status) != (after and after.status):
                self.changed_total += 1
                change = WhatIfChange(incident_id=incident_id, metric=metric, current=before, proposed=after)
                self.changed.append((start, incident_id, rank, change))
        if len(self.changed) > 2 * self.limit:
            self._keep_earliest()

    def _keep_earliest(self) -> None:
        self.changed.sort(key=lambda c: c[:3])
        del self.changed[self.limit :]

    def result(self) -> WhatIfOut:
        self._keep_earliest()
        return WhatIfOut(
            current=self.current.report(),
            proposed=self.proposed.report(),
            changed=[c[3] for c in self.changed],
            changed_total=self.changed_total,
            changed_limit=self.limit,
            incidents=self.incidents,
        )


Progress = Callable[[int, int], None]  # (incidents done, incidents in the window)


async def what_if(
    pool: asyncpg.Pool,
    policies: PolicyStore,
    tenant: str,
    flt: ReportFilter,
    proposed: Policy,
    now: datetime,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> WhatIfOut:
    """The what-if over the incidents the SLA report with filter `flt` counts (bring the tenant's
    views up to date first), read a page of streams at a time in one snapshot."""
    run = WhatIf(proposed, now)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(WHAT_IF_COUNT, *flt.args(tenant))
        after = _NIL
        while True:
            page = await conn.fetch(WHAT_IF_PAGE, *flt.args(tenant), after, page_size)
            if not page:
                break
            ids = [r["incident_id"] for r in page]
            streams: dict[uuid.UUID, list[StreamEvent]] = defaultdict(list)
            for row in await conn.fetch(STREAMS_AFTER, tenant, ids, [0] * len(ids)):
                event = stream_event_from_row(row)
                streams[event.incident_id].append(event)
            for incident_id in ids:
                events = streams[incident_id]
                if not events or not isinstance(events[0].data, Detected):
                    continue
                own = await policies.version(tenant, events[0].data.policy_version, conn)
                run.add(events, own)
            after = ids[-1]
            if progress is not None:
                progress(run.incidents, total)
    return run.result()
