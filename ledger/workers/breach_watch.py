"""The breach watch: records an `sla_notice` event when a milestone enters its warning window or
breaches, and an `escalation_suggested` event when an open incident's peak reach reaches the
escalation threshold of its current severity.

Each notice is recorded exactly once, however many server processes watch: the notice's key
(incident, metric, kind, due time) is inserted into `sla_notices` in the same transaction as the
event, so a second watcher either waits for the first and finds the row, or rolls back with it.
A milestone first seen after its due time gets only `breached` (never a late `at_risk`).

A round that finds nothing due in a tenant also asks when the next notice can fall due; until
then, while the tenant's views stay as they were, the process skips it (`QuietTenants`).
Which notices are due is asked of the views (projections/view_queries.py); the claims are
ledger/store/sla_notices.py.

An escalation is suggested once per crossing by the rule itself, not by a claim: the incident's
state remembers the suggestions made (per severity and threshold), the decider refuses a second,
and the append is conditional on the version the decision was made on, so of two watchers (or a
rerun) one appends and the other finds the incident moved on; its next round decides again, on
a state that has the suggestion.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from ledger.clock import Clock, utc_now
from ledger.domain.commands import RecordSlaNotice, SuggestEscalation
from ledger.domain.errors import LedgerError
from ledger.domain.plan import escalation_thresholds
from ledger.domain.rules import decide
from ledger.store.appends import Appended
from ledger.store.events import EventStore
from ledger.store.policies import PolicyStore
from ledger.store.sla_notices import claim_notice
from ledger.workers.leader import Leader
from projections.fold_cache import FoldCache
from projections.runner import Projection, catch_up
from projections.snapshots import stored_state
from projections.view_queries import escalations_due, next_due, notices_due, tenants_with_open, views_position

log = structlog.get_logger(__name__)

ACTOR = "breach-watch"
RECORDED_BY = "system:breach-watch"


async def record_notice(
    conn: asyncpg.Connection,
    store: EventStore,
    tenant: str,
    incident_id: uuid.UUID,
    metric: str,
    kind: str,
    due_at: datetime,
    now: datetime,
) -> bool:
    """Record one notice exactly once; False when another watcher did, or the incident moved on."""
    async with conn.transaction():
        if not await claim_notice(conn, tenant, incident_id, metric, kind, due_at):
            return False
        # The decider's state (inside the notice's transaction, after its claim).
        state = await stored_state(store, tenant, incident_id, conn=conn)
        cmd = RecordSlaNotice(incident_id=incident_id, actor=ACTOR, metric=metric, kind=kind, due_at=due_at)
        try:
            new_events = decide(cmd, state, now)
        except LedgerError:
            raise _Skip() from None
        result = await store.append(
            tenant, incident_id, state.version if state else 0, new_events, recorded_by=RECORDED_BY, conn=conn
        )
        if not isinstance(result, Appended):
            raise _Skip()
    store.committed(tenant, result.events)
    return True


async def suggest_escalation(
    store: EventStore, policies: PolicyStore, tenant: str, incident_id: uuid.UUID, now: datetime
) -> bool:
    """Record the incident's escalation suggestion if one is due; False when none is (any more),
    or another watcher or a write came first (the append is conditional on the version)."""
    state = await stored_state(store, tenant, incident_id)
    if state is None:
        return False
    policy = await policies.version(tenant, state.policy_version)
    cmd = SuggestEscalation(incident_id=incident_id, actor=ACTOR, thresholds=escalation_thresholds(policy))
    try:
        new_events = decide(cmd, state, now)
    except LedgerError:
        return False
    result = await store.append(tenant, incident_id, state.version, new_events, recorded_by=RECORDED_BY)
    return isinstance(result, Appended)


class QuietTenants:
    """Per process: tenants where no notice can fall due before a known instant, as long as their
    views stay as they were (the incident_views checkpoint where the last full round found
    nothing). A round skips such a tenant instead of probing every open incident again.

    And the tenants whose last round recorded notices: those moved their views, and can show other
    milestones breached (OVERDUE_UNNOTICED's case), so their next round is a full one, which holds
    them quiet when it finds nothing. Without it such a tenant was probed every round until the
    next full one, up to OVERDUE_EVERY rounds later, each probe reading every open incident of
    the tenant (docs/performance.md, the ten tenants' reports)."""

    def __init__(self) -> None:
        self._until: dict[str, tuple[int | None, datetime]] = {}
        self._noticed: set[str] = set()

    def quiet(self, tenant: str, position: int | None, now: datetime) -> bool:
        held = self._until.get(tenant)
        return held is not None and held[0] == position and now < held[1]

    def remember(self, tenant: str, position: int | None, until: datetime) -> None:
        self._until[tenant] = (position, until)

    def full_round_owed(self, tenant: str) -> bool:
        """Whether the tenant's last round recorded notices (its next round is a full one)."""
        return tenant in self._noticed

    def recorded(self, tenant: str, notices: int) -> None:
        if notices:
            self._noticed.add(tenant)
        else:
            self._noticed.discard(tenant)

    def keep_only(self, tenants: set[str]) -> None:
        for tenant in self._until.keys() - tenants:
            del self._until[tenant]
        self._noticed &= tenants


_NEVER = datetime.max.replace(tzinfo=UTC)


class _Skip(Exception):
    """Roll the claim back: the incident changed under us; the next round decides again."""


async def watch_tenant(
    pool: asyncpg.Pool,
    store: EventStore,
    views: Projection,
    tenant: str,
    window: timedelta,
    *,
    overdue_too: bool = True,
    quiet: QuietTenants | None = None,
    clock: Clock = utc_now,
    policies: PolicyStore | None = None,
    folds: FoldCache | None = None,
) -> int:
    """Record the tenant's escalation suggestions and notices now due; `overdue_too`: also for
    milestones the view already shows breached (see view_queries.OVERDUE_UNNOTICED). With `quiet`,
    skip the notices of a tenant it holds quiet, hold it quiet after a full round that found
    nothing, and make the round after one that recorded notices a full one. `policies`: where
    the incidents' plans are read (default: a store of its own); `folds`: the process's fold
    cache, which catching the views up resumes from."""
    await catch_up(pool, [views], tenant, wait=False, folds=folds)
    now = clock()
    suggested = noticed = 0
    async with pool.acquire() as conn:
        # (not skipped when quiet: one probe of an index that is almost always empty)
        for incident_id in await escalations_due(conn, tenant):
            if await suggest_escalation(store, policies or PolicyStore(pool), tenant, incident_id, now):
                suggested += 1
                log.debug("escalation_suggested", tenant=tenant, incident_id=str(incident_id))
        position = None
        if quiet is not None:
            position = await views_position(conn, tenant)
            if quiet.quiet(tenant, position, now):
                return _logged(tenant, suggested, noticed)
            overdue_too = overdue_too or quiet.full_round_owed(tenant)
        due = await notices_due(conn, tenant, now, window, overdue_too=overdue_too)
        for row in due:
            try:
                done = await record_notice(
                    conn, store, tenant, row["incident_id"], row["metric"], row["kind"], row["due_at"], now
                )
            except _Skip:
                continue
            if done:
                noticed += 1
                incident = str(row["incident_id"])
                log.debug("sla_notice", tenant=tenant, incident_id=incident, metric=row["metric"], kind=row["kind"])
        if quiet is not None:
            quiet.recorded(tenant, noticed)
            if overdue_too and not due:
                # (the position was read first: views changed since then make the next round look)
                quiet.remember(tenant, position, await next_due(conn, tenant, now, window) or _NEVER)
    return _logged(tenant, suggested, noticed)


def _logged(tenant: str, suggested: int, noticed: int) -> int:
    """One info line per tenant and round that recorded anything (each event is in the ledger, and at
    debug one line each): a round catching up after downtime records thousands at once."""
    if suggested or noticed:
        log.info("breach_watch_recorded", tenant=tenant, sla_notices=noticed, escalations_suggested=suggested)
    return suggested + noticed


# The rounds that also look for milestones already shown breached (a probe of every open,
# overdue incident: costly where there are many).
OVERDUE_EVERY = 12


async def run_forever(
    pool: asyncpg.Pool,
    store: EventStore,
    views: Projection,
    window: timedelta,
    interval: float,
    lead: Leader | None = None,
    *,
    clock: Clock = utc_now,
    folds: FoldCache | None,
    policies: PolicyStore | None = None,
) -> None:
    """Watch every tenant with open incidents, every `interval` seconds; with `lead`, only while
    this process leads (ledger.workers.leader: one process's rounds are enough). The first round
    comes one interval after start, not at once: a restarted service loses one interval (5 s by
    default), and an app started with a long interval (the tests') runs no round behind their backs."""
    rounds = 0
    quiet = QuietTenants()
    policies = policies or PolicyStore(pool)
    while True:
        await asyncio.sleep(interval)
        try:
            if lead is not None and not await lead.held():
                continue
            overdue_too, rounds = rounds % OVERDUE_EVERY == 0, rounds + 1
            tenants = await tenants_with_open(pool)
            quiet.keep_only(set(tenants))
            for tenant in tenants:
                await watch_tenant(
                    pool,
                    store,
                    views,
                    tenant,
                    window,
                    overdue_too=overdue_too,
                    quiet=quiet,
                    clock=clock,
                    folds=folds,
                    policies=policies,
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watch must outlive database outages
            log.warning("breach_watch_error", error=type(exc).__name__, detail=str(exc)[:200])
