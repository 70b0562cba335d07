"""The breach watch records each notice exactly once, also with several watchers at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ledger.store.events import EventStore
from ledger.store.policies import PolicyStore
from ledger.workers.breach_watch import watch_tenant
from projections.runner import registry
from tests import clock
from tests.conftest import detect_body, new_tenant


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _notices(app_client, tenant) -> list[tuple[str, str, str]]:
    feed = (await app_client.get("/v1/events?limit=1000", headers=tenant.auth("read"))).json()["items"]
    return sorted((e["incident_id"], e["data"]["metric"], e["data"]["kind"]) for e in feed if e["type"] == "sla_notice")


async def test_notices_are_recorded_once_by_concurrent_watchers(app_client, pool):
    tenant = await new_tenant(pool, "watch")
    now = clock.now()
    body = detect_body(severity="sev1", occurred_at=iso(now - timedelta(minutes=10)))
    late = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    done = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    await app_client.post(f"/v1/incidents/{done}/resolve", json={"summary": "quick"}, headers=tenant.auth())

    store = EventStore(pool)
    views = registry(PolicyStore(pool))["incident_views"]
    window = timedelta(minutes=25)  # first response (30 min) falls due in 20 min: at risk
    counts = await asyncio.gather(
        *(watch_tenant(pool, store, views, tenant.name, window, clock=clock.now) for _ in range(4))
    )
    assert sum(counts) == 2
    assert await _notices(app_client, tenant) == sorted(
        [(late, "acknowledge", "breached"), (late, "first_response", "at_risk")]
    )
    # Watching again records nothing new; the notice is an ordinary event of the incident.
    assert await watch_tenant(pool, store, views, tenant.name, window, clock=clock.now) == 0
    history = (await app_client.get(f"/v1/incidents/{late}/events", headers=tenant.auth("read"))).json()["items"]
    notice = next(e for e in history if e["type"] == "sla_notice" and e["data"]["kind"] == "breached")
    assert notice["recorded_by"] == "system:breach-watch"
    assert notice["data"]["due_at"].startswith(iso(now - timedelta(minutes=5))[:16])
    # The notice changes nothing in the incident's SLA figures.
    view = (await app_client.get(f"/v1/incidents/{late}", headers=tenant.auth("read"))).json()
    assert view["sla"]["acknowledge"]["status"] == "breached"
    assert view["sla"]["first_response"]["status"] == "pending"


async def test_a_milestone_overdue_before_a_later_event_still_gets_its_breach_notice(app_client, pool):
    """An event after the due time (here a note, and the notice of another milestone) renders the
    incident's view as of that event, showing the milestone breached rather than pending: the watch
    still records the breach, once; a milestone met late gets none."""
    tenant = await new_tenant(pool, "later")
    now = clock.now()
    body = detect_body(severity="sev1", occurred_at=iso(now - timedelta(minutes=40)))
    noted = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    r = await app_client.post(f"/v1/incidents/{noted}/notes", json={"text": "looking"}, headers=tenant.auth())
    assert r.status_code == 201
    late = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    r = await app_client.post(f"/v1/incidents/{late}/acknowledge", json={}, headers=tenant.auth())
    assert r.status_code == 201  # 35 min after its due time: met late, breached
    view = (await app_client.get(f"/v1/incidents/{noted}", headers=tenant.auth("read"))).json()
    assert view["sla"]["acknowledge"]["status"] == "breached"  # in the view: no longer pending

    store, views = EventStore(pool), registry(PolicyStore(pool))["incident_views"]
    window = timedelta(minutes=1)
    # (the rounds in between full ones look at pending milestones only)
    assert await watch_tenant(pool, store, views, tenant.name, window, overdue_too=False, clock=clock.now) == 0
    assert await watch_tenant(pool, store, views, tenant.name, window, clock=clock.now) == 3
    assert await _notices(app_client, tenant) == sorted(
        [
            (noted, "acknowledge", "breached"),
            (noted, "first_response", "breached"),
            (late, "first_response", "breached"),
        ]
    )
    assert await watch_tenant(pool, store, views, tenant.name, window, clock=clock.now) == 0


async def test_a_quiet_tenant_is_skipped_until_its_next_notice_or_a_change_of_its_views(app_client, pool, monkeypatch):
    """After a full round finds nothing, the watch skips the tenant until the next notice can
    fall due (a milestone entering the window, or breaching inside it) or until its views move;
    no notice comes late for it."""
    from ledger.workers.breach_watch import QuietTenants
    from projections.view_queries import VIEWS_POSITION

    tenant = await new_tenant(pool, "quiet")
    start = clock.now()
    body = detect_body(severity="sev1", occurred_at=iso(start))  # acknowledge due in 5 min
    first = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    store, views = EventStore(pool), registry(PolicyStore(pool))["incident_views"]
    window, quiet = timedelta(minutes=1), QuietTenants()

    async def round_at(minutes: float) -> int:
        at = start + timedelta(minutes=minutes)
        return await watch_tenant(pool, store, views, tenant.name, window, quiet=quiet, clock=lambda: at)

    assert await round_at(0) == 0
    position = await pool.fetchval(VIEWS_POSITION, tenant.name)
    ack_due = start + timedelta(minutes=5)
    assert quiet.quiet(tenant.name, position, ack_due - window - timedelta(seconds=1))
    assert not quiet.quiet(tenant.name, position, ack_due - window)  # it enters the window
    assert not quiet.quiet(tenant.name, position + 1, start)  # the views moved
    assert await round_at(3) == 0

    # A new incident, detected 10 minutes ago: its acknowledgement is overdue at once.
    body = detect_body(severity="sev1", occurred_at=iso(start - timedelta(minutes=10)))
    second = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    assert await round_at(3) == 1
    assert await round_at(3.5) == 0
    assert await round_at(4.5) == 1  # the first one's acknowledgement is at risk
    assert await round_at(4.9) == 0
    assert await round_at(5.1) == 1  # and breaches
    assert await _notices(app_client, tenant) == sorted(
        [(second, "acknowledge", "breached"), (first, "acknowledge", "at_risk"), (first, "acknowledge", "breached")]
    )


async def test_after_a_round_that_recorded_notices_the_next_round_is_full_and_holds_the_tenant_quiet(app_client, pool):
    """A round that records notices moves the tenant's views; the next round, even one between
    full rounds, looks at the overdue milestones too and, finding nothing, holds the tenant quiet
    (not probed again every round until the next full one)."""
    from ledger.workers.breach_watch import QuietTenants
    from projections.view_queries import VIEWS_POSITION

    tenant = await new_tenant(pool, "owed")
    now = clock.now()
    body = detect_body(severity="sev1", occurred_at=iso(now - timedelta(minutes=10)))  # acknowledge overdue
    late = (await app_client.post("/v1/incidents", json=body, headers=tenant.auth())).json()["id"]
    store, views = EventStore(pool), registry(PolicyStore(pool))["incident_views"]
    window, quiet = timedelta(minutes=1), QuietTenants()

    async def between_full_rounds() -> int:
        return await watch_tenant(
            pool, store, views, tenant.name, window, overdue_too=False, quiet=quiet, clock=lambda: now
        )

    assert await between_full_rounds() == 1
    assert quiet.full_round_owed(tenant.name)
    position = await pool.fetchval(VIEWS_POSITION, tenant.name)
    assert not quiet.quiet(tenant.name, position, now)
    assert await between_full_rounds() == 0
    position = await pool.fetchval(VIEWS_POSITION, tenant.name)
    assert quiet.quiet(tenant.name, position, now) and not quiet.full_round_owed(tenant.name)
    assert await _notices(app_client, tenant) == [(late, "acknowledge", "breached")]
