"""The policy what-if: the current side equals the stored report, a tightened and a loosened plan move
the figures and list the changed milestones, the plan is refused as PUT refuses it, nothing is written;
the streamed answer is the one computed the long way, over windows of several pages, and a window
wider than the cap is refused before anything is streamed."""

from __future__ import annotations

import copy
import dataclasses
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from ledger.config import Settings
from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.domain.plan_changes import checked_plan
from ledger.store.events import stream_event_from_row
from ledger.store.keys import Scope, create_key
from ledger.store.policies import PolicyStore
from projections import reach
from projections import sla as slas
from projections.reports import ReportFilter
from projections.runner import STREAMS_AFTER, catch_up_all, registry
from projections.whatif import (
    CHANGED_LIMIT,
    METRICS,
    PAGE_SIZE,
    ReportTally,
    outcome,
    percentile_cont,
    what_if,
    what_if_json,
)
from schemas.api import WhatIfChange
from tests import clock
from tests.benchmark import bulk
from tests.conftest import Tenant, detect_body

CAP = 1_000  # this module's LEDGER_WHAT_IF_MAX_INCIDENTS
BULK = 1_100  # the bulk tenant's incidents: over the cap, and over two pages of PAGE_SIZE


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, what_if_max_incidents=CAP)


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


# -- the streamed answer, over windows of several pages -----------------------------------------


@pytest.fixture(scope="module")
async def bulk_tenant(pool) -> Tenant:
    """BULK incidents of 10 events (notes and assignments among them, one in ten still open),
    detected over the 120 days before the clock's now; their views up to date."""
    name = f"bulk-{secrets.token_hex(4)}"
    await bulk.load(pool, name, BULK, now=clock.now())
    async with pool.acquire() as conn:
        key = await create_key(conn, name, "read-key", Scope.READ)
    await catch_up_all(pool, registry(PolicyStore(pool)), name, None)
    return Tenant(name, {"read": key})


def _json(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


async def _the_long_way(pool, tenant: str, flt: ReportFilter, document: dict, now: datetime) -> dict:
    """The what-if as it was first written: every incident's whole stream folded and rendered under
    both plans, the changes sorted by detection time, incident and metric, then cut to the limit."""
    plan, policies = checked_plan(document, 0), PolicyStore(pool)
    ids = [
        r["incident_id"]
        for r in await pool.fetch(
            "SELECT incident_id FROM sla_report_rows WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3"
            " AND ($4::text IS NULL OR severity = $4)",
            tenant,
            flt.since,
            flt.until,
            flt.severity,
        )
    ]
    streams: dict[Any, list] = {i: [] for i in ids}
    for row in await pool.fetch(STREAMS_AFTER, tenant, ids, [0] * len(ids)):
        streams[row["incident_id"]].append(stream_event_from_row(row))
    current, proposed, changes = ReportTally(), ReportTally(), []
    for events in streams.values():
        own = await policies.version(tenant, events[0].data.policy_version)
        at = max(now, max(e.occurred_at for e in events))
        before, after = slas.sla_of(events, own, at), slas.sla_of(events, plan, at)
        peak = reach.fold(events).peak
        current.add(before, peak)
        proposed.add(after, peak)
        for rank, metric in enumerate(METRICS):
            a, b = outcome(getattr(before, metric)), outcome(getattr(after, metric))
            if (a and a.status) != (b and b.status):
                change = WhatIfChange(incident_id=events[0].incident_id, metric=metric, current=a, proposed=b)
                changes.append(((events[0].occurred_at, events[0].incident_id, rank), change))
    changes.sort(key=lambda c: c[0])
    return _json(
        {
            "current": current.report(),
            "proposed": proposed.report(),
            "changed": [c for _, c in changes[:CHANGED_LIMIT]],
            "changed_total": len(changes),
            "changed_limit": CHANGED_LIMIT,
            "incidents": len(ids),
        }
    )


def _tightened() -> dict:
    """sev2 acknowledged in 10 minutes: only sev2 incidents are measured twice."""
    return _plan(sev2=10)


def _everything_moved() -> dict:
    """Every severity's acknowledgement tightened, resolution counted in business hours."""
    doc = _plan(sev1=3, sev2=10, sev3=30, sev4=60)
    doc["calendars"] = {
        "office": {"timezone": "Europe/Paris", "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed")}}
    }
    for severity in ("sev1", "sev2", "sev3", "sev4"):
        doc["severities"][severity]["targets"]["resolve"] = {"seconds": 8 * 3600, "calendar": "office"}
    return doc


async def test_the_streamed_answer_is_the_one_computed_the_long_way(app_client, bulk_tenant, pool):
    rows = await pool.fetch(
        "SELECT start_at, incident_id FROM sla_report_rows WHERE tenant_id = $1 ORDER BY start_at, incident_id",
        bulk_tenant.name,
    )
    starts = [r["start_at"] for r in rows]
    assert len(starts) == BULK
    two_pages = {"since": _iso(starts[0]), "until": _iso(starts[PAGE_SIZE + 400])}  # (900 incidents)
    late = {"since": _iso(starts[300]), "until": _iso(starts[-1] + timedelta(seconds=1))}  # (800)
    sev2 = {"since": _iso(starts[0] - timedelta(days=1)), "until": _iso(clock.now()), "severity": "sev2"}
    empty = {"since": _iso(starts[-1] + timedelta(seconds=1)), "until": _iso(clock.now())}
    for window in (two_pages, late, sev2, empty):
        for document in (_tightened(), _everything_moved(), _plan()):
            r = await app_client.post(
                "/v1/policy/what-if", json={"policy": document, **window}, headers=bulk_tenant.auth("read")
            )
            assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
            assert r.content.startswith(b'{"changed":[')  # (streamed: the changes come first)
            flt = ReportFilter(
                since=datetime.fromisoformat(window["since"]),
                until=datetime.fromisoformat(window["until"]),
                severity=window.get("severity"),
            )
            # (every incident is days past its last due time: the render is the same a second later)
            assert r.json() == await _the_long_way(pool, bulk_tenant.name, flt, document, clock.now())
    # The windows were what they claim: several pages, changes listed, none for the same plan.
    r = await app_client.post(
        "/v1/policy/what-if", json={"policy": _everything_moved(), **two_pages}, headers=bulk_tenant.auth("read")
    )
    out = r.json()
    first_page = {str(r["incident_id"]) for r in rows[:PAGE_SIZE]}
    changed = [c["incident_id"] in first_page for c in out["changed"]]
    assert out["incidents"] == 900 and len(changed) == out["changed_total"] > 100
    assert changed.index(False) == changed.count(True) > 0  # (the first page's, then the second's)
    same = await app_client.post(
        "/v1/policy/what-if", json={"policy": _plan(), **two_pages}, headers=bulk_tenant.auth("read")
    )
    assert same.json()["changed"] == [] and same.json()["proposed"] == same.json()["current"]


async def test_the_stream_sends_each_page_s_changes_as_it_goes(bulk_tenant, pool):
    policies = PolicyStore(pool)
    now = clock.now()
    flt = ReportFilter(since=now - timedelta(days=200), until=now)
    plan = checked_plan(_everything_moved(), 0)
    chunks = [c async for c in what_if_json(pool, policies, bulk_tenant.name, flt, plan, now, page_size=200)]
    # The opening, then one chunk per page of 200 (6 pages for 1,100 incidents), then the reports.
    assert chunks[0] == b'{"changed":[' and len(chunks) == 1 + 6 + 1
    assert chunks[-1].startswith(b'],"changed_total":')
    whole = await what_if(pool, policies, bulk_tenant.name, flt, plan, now)
    assert msgspec.json.decode(b"".join(chunks)) == _json(whole) and whole.incidents == BULK


async def test_a_window_wider_than_the_cap_is_refused_before_streaming(app_client, bulk_tenant):
    now = clock.now()
    window = {"since": _iso(now - timedelta(days=200)), "until": _iso(now)}
    r = await app_client.post(
        "/v1/policy/what-if", json={"policy": _plan(), **window}, headers=bulk_tenant.auth("read")
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("invalid-value")
    assert f"{BULK:,} incidents, more than the {CAP:,}" in problem["detail"] and "narrow" in problem["detail"]
    # The same window in two halves fits.
    half = {"since": window["since"], "until": _iso(now - timedelta(days=60))}
    r = await app_client.post("/v1/policy/what-if", json={"policy": _plan(), **half}, headers=bulk_tenant.auth("read"))
    assert r.status_code == 200 and 0 < r.json()["incidents"] <= CAP
