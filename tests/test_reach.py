"""Reach through the service: the incident's block from signals, `?min_reach=`, the reports' peak
reach per group, the plan's `escalate_at_reach`, and the breach watch's single suggestion per crossing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.store.events import EventStore
from ledger.store.policies import PolicyStore
from ledger.workers.breach_watch import watch_tenant
from projections.rebuild import rebuild
from projections.runner import catch_up_all, registry
from tests import clock
from tests.conftest import Tenant, new_tenant
from tests.test_projections import _views

WINDOW = timedelta(minutes=5)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signal(key: str, reach: int | None, **more) -> dict:
    body = {"dedup_key": key, "title": "Charger thread", "severity": "sev3", "channel": "x", **more}
    return body if reach is None else {**body, "reach": reach}


async def _signal(client, tenant: Tenant, body: dict) -> dict:
    r = await client.post("/v1/signals", json=body, headers=tenant.auth())
    assert r.status_code in (200, 201), r.text
    return r.json()["incident"]


async def _suggestions(client, tenant: Tenant, iid: str) -> list[dict]:
    history = (await client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    return [e for e in history if e["type"] == "escalation_suggested"]


async def test_signals_with_growing_reach_fill_the_reach_block(app_client, pool):
    tenant = await new_tenant(pool, "reach")
    start = clock.now() - timedelta(minutes=30)
    first = await _signal(app_client, tenant, signal("k", 12_000, occurred_at=iso(start)))
    assert first["reach"] == {"first": 12_000, "latest": 12_000, "peak": 12_000, "signals": 0}
    await _signal(app_client, tenant, signal("k", 900_000, occurred_at=iso(start + timedelta(minutes=20))))
    await _signal(app_client, tenant, signal("k", None))  # (no figure: counted, changes none)
    late = await _signal(app_client, tenant, signal("k", 40_000, occurred_at=iso(start + timedelta(minutes=10))))
    expected = {"first": 12_000, "latest": 900_000, "peak": 900_000, "signals": 3}
    assert late["reach"] == expected  # (the write's answer, from the decider's state)
    one = (await app_client.get(f"/v1/incidents/{first['id']}", headers=tenant.auth("read"))).json()
    assert one["reach"] == expected
    listed = (await app_client.get("/v1/incidents", headers=tenant.auth("read"))).json()["items"]
    assert [i["reach"] for i in listed] == [expected]
    bare = (await app_client.post("/v1/incidents", json={**signal("x", None)}, headers=tenant.auth())).json()
    assert bare["reach"] == {"first": None, "latest": None, "peak": None, "signals": 0}


async def test_min_reach_filters_on_the_peak_and_combines_with_the_other_filters(app_client, pool):
    tenant = await new_tenant(pool, "minreach")
    small = await _signal(app_client, tenant, signal("a", 5_000))
    grown = await _signal(app_client, tenant, signal("b", 5_000, severity="sev2"))
    await _signal(app_client, tenant, signal("b", 2_000_000, severity="sev2"))
    await _signal(app_client, tenant, signal("b", 10, severity="sev2"))  # the peak stays
    none = (await app_client.post("/v1/incidents", json=signal("c", None), headers=tenant.auth())).json()
    read = tenant.auth("read")

    async def ids(query: str) -> list[str]:
        r = await app_client.get(f"/v1/incidents?{query}", headers=read)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids("min_reach=0") == [grown["id"], small["id"]]  # newest first; no reach: never
    assert await ids("min_reach=5000") == [grown["id"], small["id"]]
    assert await ids("min_reach=5001") == [grown["id"]]
    assert await ids("min_reach=1000000&severity=sev2&status=open") == [grown["id"]]
    assert await ids("min_reach=1000000&severity=sev3") == []
    assert await ids("min_reach=0&limit=1") == [grown["id"]]
    assert none["id"] in await ids("")
    for bad in ("min_reach=-1", "min_reach=x", f"min_reach={10**15 + 1}"):
        assert (await app_client.get(f"/v1/incidents?{bad}", headers=read)).status_code == 400


async def test_reports_give_the_peak_reach_per_group(app_client, pool):
    tenant = await new_tenant(pool, "reachrep")
    for key, severity, figures in (
        ("a", "sev3", [100, 5_000]),
        ("b", "sev3", [70_000]),
        ("c", "sev3", [20]),
        ("d", "sev2", [1_000]),
        ("e", "sev2", [None]),
    ):
        for figure in figures:
            await _signal(app_client, tenant, signal(key, figure, severity=severity))
    read = tenant.auth("read")
    grouped = (await app_client.get("/v1/reports/sla?group_by=severity", headers=read)).json()["groups"]
    by_key = {g["key"]: g["reach"] for g in grouped}
    assert by_key == {
        "sev2": {"incidents": 1, "peak_max": 1_000, "peak_p50": 1_000.0},
        "sev3": {"incidents": 3, "peak_max": 70_000, "peak_p50": 5_000.0},
    }
    (whole,) = (await app_client.get("/v1/reports/sla", headers=read)).json()["groups"]
    assert whole["reach"] == {"incidents": 4, "peak_max": 70_000, "peak_p50": 3_000.0}  # (1,000 and 5,000)
    # The what-if's current side is the stored report, reach included.
    since, until = iso(clock.now() - timedelta(days=1)), iso(clock.now() + timedelta(days=1))
    body = {"policy": {k: v for k, v in policy_to_dict(DEFAULT_POLICY).items() if k != "version"}}
    r = await app_client.post("/v1/policy/what-if", json={**body, "since": since, "until": until}, headers=read)
    assert r.status_code == 200, r.text
    assert r.json()["current"]["groups"][0]["reach"] == whole["reach"] == r.json()["proposed"]["groups"][0]["reach"]


async def test_the_plan_takes_escalate_at_reach_as_a_positive_integer_or_null(app_client, pool):
    tenant = await new_tenant(pool, "plan")
    admin = tenant.auth("admin")
    doc = {k: v for k, v in policy_to_dict(DEFAULT_POLICY).items() if k != "version"}
    for bad in (0, -5, 1.5, "100", True, 10**15 + 1):
        sevs = {**doc["severities"], "sev4": {**doc["severities"]["sev4"], "escalate_at_reach": bad}}
        r = await app_client.put("/v1/policy", json={**doc, "severities": sevs}, headers=admin)
        assert r.status_code == 422, (bad, r.text)
        assert "escalate_at_reach" in r.text
    sevs = {**doc["severities"], "sev4": {**doc["severities"]["sev4"], "escalate_at_reach": None}}
    ok = await app_client.put("/v1/policy", json={**doc, "severities": sevs}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert [p["escalate_at_reach"] for p in ok.json()["severities"].values()] == [None, 1_000_000, 250_000, None]


async def test_one_suggestion_per_crossing_with_concurrent_watchers_and_identical_rebuilds(app_client, pool):
    tenant = await new_tenant(pool, "escalate")
    iid = (await _signal(app_client, tenant, signal("k", 100_000)))["id"]  # sev3: threshold 250,000
    store, policies = EventStore(pool), PolicyStore(pool)
    views = registry(policies)["incident_views"]

    def watch():
        return watch_tenant(pool, store, views, tenant.name, WINDOW, clock=clock.now, policies=policies)

    async def watchers(n: int = 4) -> int:
        counts = await asyncio.gather(*(watch() for _ in range(n)))
        return sum(counts)

    await watchers()
    assert await _suggestions(app_client, tenant, iid) == []
    await _signal(app_client, tenant, signal("k", 300_000))
    assert await watchers() == 1  # (four at once: one records it)
    assert await watchers() == 0  # (a rerun)
    (made,) = await _suggestions(app_client, tenant, iid)
    assert made["data"] == {"severity": "sev3", "reach": 300_000, "threshold": 250_000}
    assert made["recorded_by"] == "system:breach-watch" and made["actor"] == "breach-watch"

    # More reach at the same severity: nothing new. Raised to sev2 (1,000,000): once more when reached.
    await _signal(app_client, tenant, signal("k", 600_000))
    r = await app_client.post(
        f"/v1/incidents/{iid}/severity", json={"severity": "sev2", "reason": "spreading"}, headers=tenant.auth()
    )
    assert r.status_code == 201, r.text
    await watchers()
    assert len(await _suggestions(app_client, tenant, iid)) == 1
    await _signal(app_client, tenant, signal("k", 1_500_000))
    assert sum(await asyncio.gather(watchers(), watchers())) == 1
    assert [s["data"] for s in await _suggestions(app_client, tenant, iid)] == [
        {"severity": "sev3", "reach": 300_000, "threshold": 250_000},
        {"severity": "sev2", "reach": 1_500_000, "threshold": 1_000_000},
    ]
    # Back at sev3: that crossing was suggested; resolved: none at all.
    r = await app_client.post(f"/v1/incidents/{iid}/severity", json={"severity": "sev3"}, headers=tenant.auth())
    assert r.status_code == 201
    await watchers()
    assert len(await _suggestions(app_client, tenant, iid)) == 2

    # The views (escalation_due included) rebuild identically.
    projections = registry(policies)
    await catch_up_all(pool, projections, tenant.name, None)
    before = await _views(pool, tenant.name)
    await rebuild(pool, projections["incident_views"], tenant.name)
    assert await _views(pool, tenant.name) == before
    assert before[0][-3:] == (1_500_000, 1_500_000, False)  # peak, latest, escalation_due

    # The review's facts show the figures and the suggestions; its timeline, each suggestion.
    review = (await app_client.get(f"/v1/incidents/{iid}/review", headers=tenant.auth("read"))).text
    assert "| Reach | peak 1500000, latest 1500000, first 100000 (3 signals) |" in review
    assert "| Escalations suggested | sev3 at reach 300000 (threshold 250000, " in review
    assert "escalation suggested: reach 1500000 reached the sev2 threshold 1000000" in review
