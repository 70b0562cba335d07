"""The policy what-if: the current side equals the stored report, a tightened and a loosened plan move
the figures and list the changed milestones, the plan is refused as PUT refuses it, nothing is written."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta

from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.store.policies import PolicyStore
from projections.reports import ReportFilter
from projections.runner import catch_up_all, registry
from projections.whatif import percentile_cont, what_if
from tests import clock
from tests.conftest import detect_body


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


# (severity, minutes to acknowledge, minutes to the first public reply, minutes to resolve or None)
SHAPES = [
    ("sev2", 3, 20, 120),
    ("sev2", 10, 50, 300),
    ("sev2", 40, 90, None),
    ("sev3", 30, 200, 600),
    ("sev1", 2, 10, 60),
    ("sev1", 8, 45, None),
]


async def _incidents(client, tenant, t0: datetime) -> list[str]:
    h = tenant.auth()
    ids = []
    for n, (severity, ack, reply, resolve) in enumerate(SHAPES):
        start = t0 + timedelta(minutes=7 * n)
        body = {**detect_body(severity=severity), "occurred_at": _iso(start)}
        r = await client.post("/v1/incidents", json=body, headers=h)
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
        ids.append(iid)
        steps = [
            ("acknowledge", {}, ack),
            ("replies", {"channel": "x", "visibility": "public", "text": "Looking into it."}, reply),
            ("replies", {"channel": "x", "visibility": "public", "text": "Update: fixed soon."}, reply + 45),
        ]
        if resolve is not None:
            steps.append(("resolve", {"summary": "done"}, resolve))
        for action, payload, minutes in steps:
            payload = {**payload, "occurred_at": _iso(start + timedelta(minutes=minutes))}
            r = await client.post(f"/v1/incidents/{iid}/{action}", json=payload, headers=h)
            assert r.status_code == 201, r.text
    return ids


def _plan(**ack_minutes: int) -> dict:
    doc = copy.deepcopy(policy_to_dict(DEFAULT_POLICY))
    for severity, minutes in ack_minutes.items():
        doc["severities"][severity]["targets"]["acknowledge"] = {"seconds": minutes * 60, "calendar": None}
    return doc


async def test_what_if_current_is_the_stored_report_and_plans_move_it(app_client, tenant, pool):
    t0 = (clock.now() - timedelta(days=2)).replace(microsecond=0)
    ids = await _incidents(app_client, tenant, t0)
    window = {"since": _iso(t0), "until": _iso(t0 + timedelta(hours=1))}
    events_before = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)

    stored = (await app_client.get("/v1/reports/sla", params=window, headers=tenant.auth("read"))).json()
    tight = await app_client.post(
        "/v1/policy/what-if", json={"policy": _plan(sev2=5, sev1=1), **window}, headers=tenant.auth("read")
    )
    assert tight.status_code == 200, tight.text
    out = tight.json()
    assert out["current"] == stored and out["incidents"] == 6
    assert stored["groups"][0]["metrics"]["acknowledge"]["count"] == 6
    # Default plan: sev2 15 min, sev3 1 h, sev1 5 min: breached are the sev2 at 40 and the sev1 at 8.
    assert stored["groups"][0]["metrics"]["acknowledge"]["breached"] == 2
    # Tightened: sev2 in 5 min (the one at 10 breaches too), sev1 in 1 min (the one at 2 too).
    ack = out["proposed"]["groups"][0]["metrics"]["acknowledge"]
    assert (ack["count"], ack["breached"], ack["met"]) == (6, 4, 2)
    assert ack["p50"] == stored["groups"][0]["metrics"]["acknowledge"]["p50"]  # (same elapsed times)
    changed = [(c["incident_id"], c["metric"]) for c in out["changed"]]
    assert changed == [(ids[1], "acknowledge"), (ids[4], "acknowledge")]
    first = out["changed"][0]
    assert first["current"] == {"status": "met", "due_at": _iso(t0 + timedelta(minutes=7 + 15))}
    assert first["proposed"] == {"status": "breached", "due_at": _iso(t0 + timedelta(minutes=7 + 5))}
    assert (
        out["changed_total"] == 2
        and out["proposed"]["groups"][0]["metrics"]["resolve"] == (stored["groups"][0]["metrics"]["resolve"])
    )

    loose = await app_client.post(
        "/v1/policy/what-if", json={"policy": _plan(sev2=60, sev1=10), **window}, headers=tenant.auth("read")
    )
    out = loose.json()
    assert out["current"] == stored
    assert out["proposed"]["groups"][0]["metrics"]["acknowledge"]["breached"] == 0
    assert [(c["incident_id"], c["current"]["status"], c["proposed"]["status"]) for c in out["changed"]] == [
        (ids[2], "breached", "met"),
        (ids[5], "breached", "met"),
    ]

    # A filter, as the report takes it.
    sev2 = {**window, "severity": "sev2"}
    only = await app_client.post("/v1/policy/what-if", json={"policy": _plan(), **sev2}, headers=tenant.auth("read"))
    stored_sev2 = (await app_client.get("/v1/reports/sla", params=sev2, headers=tenant.auth("read"))).json()
    assert only.json()["current"] == stored_sev2 and only.json()["incidents"] == 3 and only.json()["changed"] == []
    after = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)
    assert after == events_before  # (writes nothing)


async def test_pages_of_any_size_give_the_same_answer(app_client, tenant, pool):
    t0 = (clock.now() - timedelta(days=3)).replace(microsecond=0)
    await _incidents(app_client, tenant, t0)
    policies = PolicyStore(pool)
    await catch_up_all(pool, registry(policies), tenant.name, None)
    flt = ReportFilter(since=t0, until=t0 + timedelta(hours=1))
    plan = DEFAULT_POLICY
    now = clock.now()
    seen: list[tuple[int, int]] = []
    whole = await what_if(pool, policies, tenant.name, flt, plan, now)
    paged = await what_if(
        pool, policies, tenant.name, flt, plan, now, page_size=2, progress=lambda d, t: seen.append((d, t))
    )
    assert paged == whole and whole.incidents == 6
    assert seen == [(2, 6), (4, 6), (6, 6)]


async def test_the_proposed_plan_is_refused_as_put_refuses_it(app_client, tenant):
    bad = _plan()
    bad["severities"]["sev1"]["targets"]["acknowledge"] = {"seconds": -5, "calendar": "nowhere"}
    bad["roles"].append("Bad Role")
    now = clock.now()
    window = {"since": _iso(now - timedelta(days=1)), "until": _iso(now)}
    tried = await app_client.post("/v1/policy/what-if", json={"policy": bad, **window}, headers=tenant.auth("read"))
    put = await app_client.put("/v1/policy", json=bad, headers=tenant.auth("admin"))
    assert tried.status_code == put.status_code == 422
    assert {k: v for k, v in tried.json().items() if k != "instance"} == {
        k: v for k, v in put.json().items() if k != "instance"
    }
    assert len(tried.json()["errors"]) == 3
    backwards = {"since": window["until"], "until": window["since"]}
    r = await app_client.post("/v1/policy/what-if", json={"policy": _plan(), **backwards}, headers=tenant.auth("read"))
    assert r.status_code == 422
    r = await app_client.post(
        "/v1/policy/what-if", json={"policy": _plan(), "since": window["since"]}, headers=tenant.auth("read")
    )
    assert r.status_code == 422  # (until is required)
    r = await app_client.post("/v1/policy/what-if", json={"policy": _plan(), **window}, headers={"Authorization": "x"})
    assert r.status_code == 401


async def test_percentiles_are_postgresql_s_to_the_bit(pool):
    rng = random.Random(26)
    for size in (1, 2, 3, 7, 10, 101, 1000):
        values = sorted(rng.randrange(0, 10**7) for _ in range(size))
        for fraction in (0.5, 0.9, 0.95):
            theirs = await pool.fetchval(
                "SELECT percentile_cont($2::float8) WITHIN GROUP (ORDER BY v) FROM unnest($1::bigint[]) v",
                values,
                fraction,
            )
            assert percentile_cont(values, fraction) == theirs
