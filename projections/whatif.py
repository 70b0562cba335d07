"""The policy what-if: the incidents of a window measured under their own plans and under a proposed one.

Both sides are measured by the code that measures everything else (projections/sla.py: one fold
of each incident's events, rendered once per plan, or once for both where the plans set the same
targets for every severity the incident held), and counted into a report the way the SQL of
projections/reports.py counts the stored views: a milestone counts once met or breached (a
pending one past its due time is breached by the render), a sample is an elapsed time of one,
each completed update gap is a sample, and a gap overdue without a reply is one more breached
count; percentiles interpolate as PostgreSQL's `percentile_cont` does, to the bit. So the current
side equals `GET /v1/reports/sla` with the same filters (tests/test_whatif.py checks it).

Bounded and streamed: the incidents are read in detection order a page at a time (PAGE_SIZE
streams) in one read-only snapshot, and each page's changed milestones are handed on (`measure`)
as soon as it is measured, the first CHANGED_LIMIT of them (`changed_total` counts them all). What
is kept across pages is per metric and side the counts and one integer per sample. `what_if_json`
writes the API's answer as it goes: the changes first, the two reports at the end.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from array import array
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import msgspec

from ledger.domain.plan import Policy
from ledger.store.events import StreamEvent, stream_event_from_row, streams_after
from ledger.store.policies import PolicyStore
from projections import reach
from projections import sla as slas
from projections.reports import WHAT_IF_COUNT, WHAT_IF_INCIDENTS, ReportFilter
from projections.runner import YIELD_EVERY
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
    # 8 bytes a sample (a list of ints takes about 40): what a wide window keeps grows with it.
    samples: array[int] = field(default_factory=lambda: array("q"))

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
    # The peak reach of each incident that gave one (a plan does not change it: the same both sides;
    # at most 10**15, as the API takes it).
    reach: array[int] = field(default_factory=lambda: array("q"))

    def add(self, sla: slas.Sla, peak_reach: int | None) -> None:
        for metric in ("acknowledge", "first_response", "resolve"):
            self.metrics[metric].add_milestone(getattr(sla, metric))
        self.metrics["update"].add_update(sla.update)
        if peak_reach is not None:
            self.reach.append(peak_reach)

    def report(self) -> SlaReport:
        return SlaReport(groups=[self.group(None)])

    def group(self, key: str | None) -> SlaGroup:
        figures = {m: t.figures() for m, t in self.metrics.items()}
        ordered = sorted(self.reach)
        reach = ReachFigures(
            incidents=len(ordered),
            peak_max=ordered[-1] if ordered else None,
            peak_p50=percentile_cont(ordered, 0.5) if ordered else None,
        )
        return SlaGroup(key=key, metrics=SlaMetrics(**figures), reach=reach)


def outcome(block: Milestone | UpdateBlock | None) -> MilestoneOutcome | None:
    return None if block is None else MilestoneOutcome(status=block.status, due_at=block.due_at)


@dataclass
class WhatIf:
    """The what-if as it accumulates, incident by incident (pure: `add` takes an incident's events).
    Incidents are added in detection order (then by id), so the changes listed are the earliest."""

    proposed_plan: Policy
    now: datetime
    limit: int = CHANGED_LIMIT
    current: ReportTally = field(default_factory=ReportTally)
    proposed: ReportTally = field(default_factory=ReportTally)
    listed: int = 0
    changed_total: int = 0
    incidents: int = 0
    # Per severity (the incident's latest, as `GET /v1/reports/sla?group_by=severity` groups it):
    # (current, proposed). Kept only when asked (the crisis room's preview): it doubles the counting.
    by_severity: dict[str, tuple[ReportTally, ReportTally]] | None = None
    # (own plan's version, severity) -> whether the proposed plan sets the same targets there.
    # Versions name plans within one tenant, and a what-if is one tenant's.
    _alike: dict[tuple[int, str], bool] = field(default_factory=dict)

    def add(self, events: Sequence[StreamEvent], own_plan: Policy, latest: datetime) -> list[WhatIfChange]:
        """One incident under its own plan and the proposed one; answers its changes to list.
        `events`: its stream in version order, or only the events the SLA and reach folds read
        (TYPES_READ); `latest`: the latest `occurred_at` of its whole stream."""
        state = slas.fold(events)
        # As the stored view: rendered at its latest occurred_at at least, then aged to now.
        at = max(self.now, latest)
        now_side = slas.render(state, own_plan, at)
        same = all(self._same_targets(own_plan, severity) for severity in slas.severities_held(state))
        then_side = now_side if same else slas.render(state, self.proposed_plan, at)
        peak = reach.fold(events).peak
        self.current.add(now_side, peak)
        self.proposed.add(then_side, peak)
        if self.by_severity is not None and state.severity is not None:
            if state.severity not in self.by_severity:
                self.by_severity[state.severity] = (ReportTally(), ReportTally())
            current, proposed = self.by_severity[state.severity]
            current.add(now_side, peak)
            proposed.add(then_side, peak)
        self.incidents += 1
        if same:
            return []
        changes = []
        for metric in METRICS:
            before, after = outcome(getattr(now_side, metric)), outcome(getattr(then_side, metric))
            # A change is a different outcome: another status, or a target on one side only. A due
            # time that moves while the status stays is not one (every milestone of a retargeted
            # severity would be listed); both due times are shown with each change.
            if (before and before.status) != (after and after.status):
                self.changed_total += 1
                if self.listed < self.limit:
                    self.listed += 1
                    changes.append(
                        WhatIfChange(incident_id=events[0].incident_id, metric=metric, current=before, proposed=after)
                    )
        return changes

    def _same_targets(self, own_plan: Policy, severity: str) -> bool:
        key = (own_plan.version, severity)
        if key not in self._alike:
            self._alike[key] = slas.same_targets(own_plan, self.proposed_plan, severity)
        return self._alike[key]

    def severity_reports(self) -> tuple[SlaReport, SlaReport]:
        """(current, proposed) grouped by severity, in severity order (needs `by_severity`)."""
        held = sorted((self.by_severity or {}).items())
        return (
            SlaReport(groups=[current.group(severity) for severity, (current, _) in held]),
            SlaReport(groups=[proposed.group(severity) for severity, (_, proposed) in held]),
        )

    def result(self, changed: list[WhatIfChange]) -> WhatIfOut:
        return WhatIfOut(
            changed=changed,
            changed_total=self.changed_total,
            changed_limit=self.limit,
            incidents=self.incidents,
            current=self.current.report(),
            proposed=self.proposed.report(),
        )


Progress = Callable[[int, int], None]  # (incidents done, incidents in the window)

# The event types whose data the what-if's folds read (the SLA block's and the peak reach's).
TYPES_READ = tuple(dict.fromkeys((*slas.TYPES_READ, *reach.TYPES_READ)))
# The streams of a page of incidents ($2; $3 zeros: from their first event), each event's data only
# if a fold reads its type ($4, TYPES_READ): the others count for their occurred_at alone (a sixth
# less CPU on streams with notes and assignments than decoding them all).
WHAT_IF_STREAMS = streams_after(
    "id, incident_id, version, type, occurred_at, CASE WHEN type = ANY($4::text[]) THEN data::text END AS data"
)


async def window_size(pool: asyncpg.Pool, tenant: str, flt: ReportFilter) -> int:
    """How many incidents a what-if with filter `flt` would measure."""
    count: int = await pool.fetchval(WHAT_IF_COUNT, *flt.args(tenant))
    return count


async def measure(
    run: WhatIf,
    pool: asyncpg.Pool,
    policies: PolicyStore,
    tenant: str,
    flt: ReportFilter,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> AsyncIterator[list[WhatIfChange]]:
    """Add the incidents the SLA report with filter `flt` counts to `run` (bring the tenant's views up
    to date first), a page at a time in one snapshot, in detection order; yields each page's changes."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(WHAT_IF_COUNT, *flt.args(tenant)) if progress is not None else 0
        incidents = await conn.cursor(WHAT_IF_INCIDENTS, *flt.args(tenant))
        while ids := [row[0] for row in await incidents.fetch(page_size)]:
            streams: dict[uuid.UUID, tuple[list[StreamEvent], list[datetime]]] = {i: ([], []) for i in ids}
            for row in await conn.fetch(WHAT_IF_STREAMS, tenant, ids, [0] * len(ids), TYPES_READ):
                events, times = streams[row["incident_id"]]
                times.append(row["occurred_at"])
                if row["data"] is not None:
                    events.append(stream_event_from_row(row))
            changes: list[WhatIfChange] = []
            for n, (events, times) in enumerate(streams.values(), start=1):
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # (requests share the loop: let them run)
                if not events or not isinstance(events[0].data, Detected):
                    continue
                own = await policies.version(tenant, events[0].data.policy_version, conn)
                changes += run.add(events, own, max(times))
            if progress is not None:
                progress(run.incidents, total)
            yield changes


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
    """The what-if over the incidents the SLA report with filter `flt` counts, as one answer."""
    run = WhatIf(proposed, now)
    changed: list[WhatIfChange] = []
    async for changes in measure(run, pool, policies, tenant, flt, page_size=page_size, progress=progress):
        changed += changes
    return run.result(changed)


_json = msgspec.json.Encoder()
_OPEN = b'{"changed":['


async def what_if_json(
    pool: asyncpg.Pool,
    policies: PolicyStore,
    tenant: str,
    flt: ReportFilter,
    proposed: Policy,
    now: datetime,
    *,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[bytes]:
    """`what_if`'s answer as JSON, written as it is measured: the opening at once, each page's
    changes (a line break for a page without any, so that bytes keep flowing), then the rest of
    the document, encoded from the same Struct as `what_if` answers (WhatIfOut, `changed` first)."""
    yield _OPEN
    run = WhatIf(proposed, now)
    first = True
    async for changes in measure(run, pool, policies, tenant, flt, page_size=page_size):
        if not changes:
            yield b"\n"
            continue
        yield (b"" if first else b",") + b",".join(_json.encode(change) for change in changes)
        first = False
    rest = _json.encode(run.result([]))
    empty = _OPEN + b"]"
    assert rest.startswith(empty)  # (WhatIfOut's first field is `changed`)
    yield b"]" + rest[len(empty) :]
