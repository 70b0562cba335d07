"""The read side end to end: SLA and coverage on incidents, filters, reports, policy, rebuilds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.config import Settings
from ledger.domain import commands as c
from ledger.domain.errors import LedgerError
from ledger.service.command_runner import Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections.fold_cache import FoldCache
from projections.incident_view import stored_row
from projections.rebuild import rebuild
from projections.runner import catch_up_all, registry
from schemas.api import CoverageReport, SlaReport
from schemas.events import Channel, Severity, Visibility
from tests import clock
from tests.conftest import TEST_SIGNING_KEY, app_settings, detect_body, new_tenant

VIEW_COLUMNS = (
    "tenant_id, incident_id, version, status, severity, scenario, channel, start_at, policy_version, as_of,"
    " ack_target, ack_status, ack_due_at, ack_met_at, ack_elapsed,"
    " first_target, first_status, first_due_at, first_met_at, first_elapsed,"
    " resolve_target, resolve_status, resolve_due_at, resolve_met_at, resolve_elapsed,"
    " update_target, update_status, update_next_due_at, update_gap_seconds, update_gap_breached,"
    " update_unanswered, required_roles, missing_roles, full_coverage_at, uncovered_seconds::text,"
    " missing_at_ack_due, peak_reach, latest_reach, escalation_due"
)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def percentile_cont(values: list[float], p: float) -> float:
    """PostgreSQL's percentile_cont, computed independently."""
    s = sorted(values)
    pos = (len(s) - 1) * p
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


async def _views(pool, tenant: str) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        f"SELECT {VIEW_COLUMNS} FROM incident_views WHERE tenant_id = $1 ORDER BY incident_id", tenant
    )
    return [_normal(tuple(r)) for r in rows]


async def _report_rows(pool, tenant: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    sla = await pool.fetch("SELECT * FROM sla_report_rows WHERE tenant_id = $1 ORDER BY incident_id", tenant)
    roles = await pool.fetch(
        "SELECT * FROM coverage_report_rows WHERE tenant_id = $1 ORDER BY incident_id, role", tenant
    )
    return [tuple(r) for r in sla], [tuple(r) for r in roles]


async def _spans(pool, tenant: str) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT incident_id, assignee, seq, start_at, end_at FROM assignee_spans WHERE tenant_id = $1"
        " ORDER BY incident_id, assignee, seq",
        tenant,
    )
    return [tuple(r) for r in rows]


def _normal(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out = list(row)
    out[34] = msgspec.json.decode(out[34]) if isinstance(out[34], str) else out[34]
    return tuple(list(v) if isinstance(v, list | tuple) else v for v in out)


class Timeline:
    """Posts actions at chosen occurred_at offsets from a backdated detection."""

    def __init__(self, client, tenant, start: datetime) -> None:
        self.client, self.tenant, self.start = client, tenant, start
        self.id = ""

    async def detect(self, **body: Any) -> Timeline:
        r = await self.client.post(
            "/v1/incidents", json=detect_body(occurred_at=iso(self.start), **body), headers=self.tenant.auth()
        )
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        return self

    async def at(self, minutes: float, action: str, **body: Any) -> dict[str, Any]:
        body["occurred_at"] = iso(self.start + timedelta(minutes=minutes))
        r = await self.client.post(f"/v1/incidents/{self.id}/{action}", json=body, headers=self.tenant.auth())
        assert r.status_code == 201, (action, r.text)
        return r.json()

    async def reply(self, minutes: float) -> None:
        await self.at(minutes, "replies", channel="x", visibility="public", text="We are on it.")

    async def get(self) -> dict[str, Any]:
        r = await self.client.get(f"/v1/incidents/{self.id}", headers=self.tenant.auth("read"))
        assert r.status_code == 200
        return r.json()


@pytest.fixture(scope="module", name="settings")
def quiet_runner_settings() -> Settings:
    """No background projection loop in this module's app: the property test below folds with a
    fold cache of its own and checks what that cache holds, which the app's loop, catching the same
    tenant up first, would leave behind (about 1 run in 4). The reads here catch up by themselves."""
    return app_settings(signing_key=TEST_SIGNING_KEY, projection_interval_s=3600)


@pytest.fixture(scope="module")
async def scenario(app_client, pool):
    """Three incidents with hand-worked timelines on the default plan (see each comment)."""
    tenant = await new_tenant(pool, "rep")
    now = clock.now().replace(microsecond=0)
    # A: sev2 on x, 3 h ago. ack +10 m (met, 600 s of 900), leads assigned +5 m and +12 m,
    # public replies +50 m (first response met, 3000 of 3600) and +170 m (one gap of 7200 s, met),
    # resolved +175 m (met, 10500 s). communications never held: uncovered 10500 s.
    a = await Timeline(app_client, tenant, now - timedelta(hours=3)).detect(severity="sev2", channel="x")
    await a.at(5, "assignments", role="incident_lead", assignee="ayse")
    await a.at(10, "acknowledge")
    await a.at(12, "assignments", role="social_responder", assignee="mehmet")
    await a.reply(50)
    await a.reply(170)
    await a.at(175, "resolve", summary="done")
    # B: sev2 on instagram, 2 h ago. ack +20 m (breached at +15 m, 1200 s), no reply (first response
    # breached at +60 m, no elapsed), resolved +90 m (met, 5400 s); nobody assigned: 5400 s each.
    b = await Timeline(app_client, tenant, now - timedelta(hours=2)).detect(
        severity="sev2", channel="instagram", scenario="offensive-post"
    )
    await b.at(20, "acknowledge")
    await b.at(90, "resolve", summary="done")
    # C: sev3 on x, 30 min ago, open. ack +5 m (met, 300 of 3600), both sev3 roles held from +1 m
    # (uncovered 60 s each); first response (4 h) and resolve (7 d) pending; no update target.
    cc = await Timeline(app_client, tenant, now - timedelta(minutes=30)).detect(severity="sev3", channel="x")
    await cc.at(1, "assignments", role="incident_lead", assignee="ayse")
    await cc.at(1, "assignments", role="social_responder", assignee="zeynep")
    await cc.at(5, "acknowledge")
    return tenant, a, b, cc


async def test_incident_shows_sla_and_coverage(scenario):
    _, a, b, cc = scenario
    view = await a.get()
    ack = view["sla"]["acknowledge"]
    assert (ack["target_seconds"], ack["status"], ack["elapsed_seconds"]) == (900, "met", 600)
    assert parse(ack["due_at"]) == a.start + timedelta(minutes=15)
    assert parse(ack["met_at"]) == a.start + timedelta(minutes=10)
    assert view["sla"]["first_response"]["status"] == "met" and view["sla"]["first_response"]["elapsed_seconds"] == 3000
    update = view["sla"]["update"]
    assert (update["status"], update["gaps"], update["breaches"], update["max_gap_seconds"]) == ("met", 1, 0, 7200)
    assert update["next_due_at"] is None
    assert view["sla"]["resolve"]["elapsed_seconds"] == 10500
    cov = view["coverage"]
    assert cov["required"] == ["incident_lead", "social_responder", "communications"]
    assert cov["missing"] == ["communications"]
    assert cov["full_coverage_at"] is None
    assert cov["uncovered_seconds"] == {"incident_lead": 300, "social_responder": 720, "communications": 10500}

    vb = await b.get()
    assert vb["sla"]["acknowledge"]["status"] == "breached"
    assert parse(vb["sla"]["acknowledge"]["breached_at"]) == b.start + timedelta(minutes=15)
    assert vb["sla"]["acknowledge"]["elapsed_seconds"] == 1200  # fulfilled late: still breached
    assert vb["sla"]["first_response"]["status"] == "breached"

    vc = await cc.get()
    assert vc["sla"]["update"] is None  # sev3 has no update target
    assert vc["sla"]["first_response"]["status"] == "pending"
    assert vc["coverage"]["missing"] == [] and parse(vc["coverage"]["full_coverage_at"]) == cc.start + timedelta(
        minutes=1
    )
    r = await cc.client.get(f"/v1/incidents/{cc.id}/sla", headers=cc.tenant.auth("read"))
    assert r.json() == vc["sla"]
    r = await cc.client.get(f"/v1/incidents/{cc.id}/coverage", headers=cc.tenant.auth("read"))
    assert r.json()["required"] == ["incident_lead", "social_responder"]


async def test_read_your_writes(app_client, tenant):
    t = await Timeline(app_client, tenant, clock.now() - timedelta(minutes=2)).detect(severity="sev1")
    await t.at(1, "acknowledge")
    view = await t.get()
    assert view["acknowledged_at"] and view["sla"]["acknowledge"]["status"] == "met"
    r = await app_client.get("/v1/incidents?missing_role=legal", headers=tenant.auth("read"))
    assert [i["id"] for i in r.json()["items"]] == [t.id]
    await t.at(1.5, "assignments", role="legal", assignee="lawyer")
    r = await app_client.get("/v1/incidents?missing_role=legal", headers=tenant.auth("read"))
    assert r.json()["items"] == []


async def test_list_filters_breached_at_risk_missing_role(app_client, scenario):
    tenant, a, b, cc = scenario
    h = tenant.auth("read")

    async def ids(q: str) -> set[str]:
        r = await app_client.get(f"/v1/incidents?{q}", headers=h)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert await ids("breached=true") == {b.id}
    assert await ids("breached=false") == {a.id, cc.id}
    # C's acknowledgement is met; its first response falls due at +4 h: within 4 h, not within 1 h.
    assert await ids("at_risk_within=14400") == {cc.id}
    assert await ids("at_risk_within=60") == set()
    assert await ids("missing_role=communications") == {a.id, b.id}
    assert await ids("missing_role=incident_lead") == {b.id}
    assert await ids("missing_role=incident_lead&status=open") == set()


async def test_sla_report_matches_independent_figures(app_client, scenario, pool):
    tenant, *_ = scenario
    r = await app_client.get("/v1/reports/sla", headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    (group,) = r.json()["groups"]
    assert group["key"] is None
    ack = group["metrics"]["acknowledge"]
    samples = [600, 1200, 300]
    assert (ack["count"], ack["met"], ack["breached"]) == (3, 2, 1)
    assert ack["compliance"] == pytest.approx(2 / 3)
    for p in ("p50", "p90", "p95"):
        assert ack[p] == pytest.approx(percentile_cont(samples, int(p[1:]) / 100))
    assert ack["max"] == 1200
    first = group["metrics"]["first_response"]
    assert (first["count"], first["met"], first["breached"], first["compliance"]) == (2, 1, 1, 0.5)
    assert first["p50"] == first["max"] == 3000  # the late one was never fulfilled: no elapsed sample
    update = group["metrics"]["update"]
    assert (update["count"], update["met"], update["p50"]) == (1, 1, 7200)
    resolve = group["metrics"]["resolve"]
    assert (resolve["count"], resolve["met"]) == (2, 2)
    assert resolve["p50"] == pytest.approx(percentile_cont([10500, 5400], 0.5))

    by_sev = (await app_client.get("/v1/reports/sla?group_by=severity", headers=tenant.auth("read"))).json()
    keys = {g["key"]: g["metrics"] for g in by_sev["groups"]}
    assert set(keys) == {"sev2", "sev3"}
    assert keys["sev3"]["acknowledge"]["count"] == 1 and keys["sev3"]["acknowledge"]["p50"] == 300
    assert keys["sev3"]["first_response"]["count"] == 0 and keys["sev3"]["first_response"]["compliance"] is None
    by_channel = (await app_client.get("/v1/reports/sla?group_by=channel", headers=tenant.auth("read"))).json()
    assert {g["key"] for g in by_channel["groups"]} == {"x", "instagram"}
    only_ig = (await app_client.get("/v1/reports/sla?channel=instagram", headers=tenant.auth("read"))).json()
    assert only_ig["groups"][0]["metrics"]["acknowledge"]["breached"] == 1
    week = (await app_client.get("/v1/reports/sla?group_by=week", headers=tenant.auth("read"))).json()
    starts = [r[0] for r in await pool.fetch("SELECT detected_at FROM incidents WHERE tenant_id = $1", tenant.name)]
    weeks = {f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in (t.astimezone(UTC) for t in starts)}
    assert [g["key"] for g in week["groups"]] == sorted(weeks)
    assert sum(g["metrics"]["acknowledge"]["count"] for g in week["groups"]) == 3
    future = iso(clock.now() + timedelta(days=1))
    empty = (await app_client.get(f"/v1/reports/sla?since={future}", headers=tenant.auth("read"))).json()
    assert empty["groups"][0]["metrics"]["acknowledge"] == {
        "count": 0,
        "met": 0,
        "breached": 0,
        "compliance": None,
        "p50": None,
        "p90": None,
        "p95": None,
        "max": None,
    }


async def test_coverage_report_matches_independent_figures(app_client, scenario):
    tenant, *_ = scenario
    r = await app_client.get("/v1/reports/coverage", headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    roles = {x["role"]: x for x in r.json()["roles"]}
    assert roles["incident_lead"] == {
        "role": "incident_lead",
        "incidents_requiring": 3,
        "missing_when_ack_due": 1,
        "uncovered_seconds_total": 300 + 5400 + 60,
        "uncovered_seconds_mean": (300 + 5400 + 60) / 3,
    }
    assert roles["social_responder"]["uncovered_seconds_total"] == 720 + 5400 + 60
    assert roles["communications"]["incidents_requiring"] == 2
    assert roles["communications"]["missing_when_ack_due"] == 2
    assert roles["communications"]["uncovered_seconds_total"] == 10500 + 5400
    assignees = {x["assignee"]: x for x in r.json()["assignees"]}
    assert assignees["ayse"] == {"assignee": "ayse", "incidents": 2, "peak_concurrent_open": 2}
    assert assignees["mehmet"] == {"assignee": "mehmet", "incidents": 1, "peak_concurrent_open": 1}
    assert assignees["zeynep"]["incidents"] == 1


async def test_rebuild_is_identical_to_the_incremental_model(app_client, scenario, pool):
    tenant, *_ = scenario
    projections = registry(PolicyStore(pool))
    await catch_up_all(pool, projections, tenant.name, FoldCache())
    before = (await _views(pool, tenant.name), await _spans(pool, tenant.name), await _report_rows(pool, tenant.name))
    assert len(before[0]) == 3 and before[1] and len(before[2][0]) == 3
    assert len(before[2][1]) == sum(len(v[VIEW_COLUMNS.split(", ").index("required_roles")]) for v in before[0])
    for projection in projections.values():
        await rebuild(pool, projection, tenant.name)
    after = (await _views(pool, tenant.name), await _spans(pool, tenant.name), await _report_rows(pool, tenant.name))
    assert after == before


async def test_policy_lifecycle(app_client, tenant, pool):
    r = await app_client.get("/v1/policy", headers=tenant.auth("read"))
    default = r.json()
    assert default["version"] == 0 and "legal" in default["roles"]
    custom = {
        **default,
        "calendars": {"berlin": {"timezone": "Europe/Berlin", "weekly": {"mon": [["09:00", "17:00"]]}}},
    }
    custom["severities"]["sev1"]["targets"]["acknowledge"] = {"seconds": 60, "calendar": None}
    custom["severities"]["sev4"]["targets"]["resolve"] = {"seconds": 3600, "calendar": "berlin"}
    r = await app_client.put("/v1/policy", json=custom, headers=tenant.auth("write"))
    assert r.status_code == 403
    events_before = await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)
    for bad in (
        {**custom, "roles": ["incident_lead"]},  # sev1 requires roles no longer known
        {**custom, "calendars": {"berlin": {"timezone": "Mars/Olympus", "weekly": {}}}},
        {
            **default,
            "severities": {
                **default["severities"],
                "sev2": {
                    **default["severities"]["sev2"],
                    "targets": {
                        **default["severities"]["sev2"]["targets"],
                        "acknowledge": {"seconds": -5, "calendar": None},
                    },
                },
            },
        },
    ):
        r = await app_client.put("/v1/policy", json=bad, headers=tenant.auth("admin"))
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith("invalid-value")
    assert await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name) == events_before

    old = await Timeline(app_client, tenant, clock.now() - timedelta(minutes=3)).detect(severity="sev1")
    r = await app_client.put("/v1/policy", json=custom, headers=tenant.auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["etag"] == '"1"'
    new = await Timeline(app_client, tenant, clock.now() - timedelta(minutes=3)).detect(severity="sev1")
    assert (await old.get())["policy_version"] == 0
    new_view = await new.get()
    assert new_view["policy_version"] == 1
    assert new_view["sla"]["acknowledge"]["target_seconds"] == 60
    assert new_view["sla"]["acknowledge"]["status"] == "breached"  # 3 minutes old, 60 s target
    assert (await old.get())["sla"]["acknowledge"]["target_seconds"] == 300

    history = (await app_client.get("/v1/policy/history", headers=tenant.auth("read"))).json()
    assert [h["version"] for h in history["items"]] == [1]
    assert history["items"][0]["changed_by"] == "admin-key"
    feed = (await app_client.get("/v1/events", headers=tenant.auth("read"))).json()["items"]
    assert [e["type"] for e in feed] == ["detected", "policy_changed", "detected"]
    assert feed[1]["incident_id"] is None and feed[1]["version"] is None and feed[1]["data"]["version"] == 1


# Property: for random valid histories, the stored view = a fresh fold = a rebuild.

_ACTIONS = st.sampled_from(["ack", "assign", "unassign", "reply", "private", "severity", "resolve", "reopen", "note"])
_ROLES = st.sampled_from(["incident_lead", "social_responder", "legal"])
_PEOPLE = st.sampled_from(["ayse", "mehmet"])


def _command(kind: str, iid: uuid.UUID, at: datetime, role: str, person: str, severity: Severity) -> c.Command:
    base: dict[str, Any] = {"incident_id": iid, "actor": "p", "occurred_at": at}
    match kind:
        case "ack":
            return c.Acknowledge(**base)
        case "assign":
            return c.Assign(**base, role=role, assignee=person)
        case "unassign":
            return c.Unassign(**base, role=role, assignee=person)
        case "reply" | "private":
            vis = Visibility.PUBLIC if kind == "reply" else Visibility.PRIVATE
            return c.Reply(**base, channel=Channel.X, text="hello", visibility=vis)
        case "severity":
            return c.ChangeSeverity(**base, severity=severity)
        case "resolve":
            return c.Resolve(**base, summary="s")
        case "reopen":
            return c.Reopen(**base, reason="r")
    return c.Note(**base, text="n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(_ACTIONS, st.integers(0, 300), _ROLES, _PEOPLE, st.sampled_from(list(Severity))),
        min_size=1,
        max_size=14,
    ),
    start_minutes=st.integers(10, 600),
    severity=st.sampled_from(list(Severity)),
)
async def test_stored_view_equals_fresh_fold_and_rebuild(pool, steps, start_minutes, severity):
    t = await new_tenant(pool, "prop")
    who = Principal(t.name, "write-key", Scope.WRITE)
    policies = PolicyStore(pool)
    folds = FoldCache()  # (the shell's and the runner's, as in a server process)
    shell = Shell(EventStore(pool), policies, clock.now, folds)
    now = clock.now()
    start = now - timedelta(minutes=start_minutes)
    iid = uuid.uuid4()
    await shell.execute(
        who, c.Detect(incident_id=iid, actor="p", occurred_at=start, title="t", severity=severity, channel=Channel.X)
    )
    projections = registry(policies)
    for n, (kind, offset, role, person, sev) in enumerate(steps):
        at = min(start + timedelta(minutes=offset), now)
        try:
            await shell.execute(who, _command(kind, iid, at, role, person, sev))
        except LedgerError:
            pass  # refused by the rules: nothing written
        if n % 3 == 0:  # (the runner then folds only what came after the fold it holds)
            await catch_up_all(pool, projections, t.name, folds)
    await catch_up_all(pool, projections, t.name, folds)
    held = folds.get(t.name, iid)
    assert (
        held is not None
        and held.view is not None
        and held.view.version == (await shell.store.read_stream(t.name, iid))[-1].version
    )
    stored = await _views(pool, t.name)
    events = await shell.store.read_stream(t.name, iid)
    fresh = _normal((t.name, *msgspec.structs.astuple(stored_row(events, await policies.version(t.name, 0)))))
    assert stored == [fresh]
    spans = await _spans(pool, t.name)
    for projection in projections.values():
        await rebuild(pool, projection, t.name)
    assert await _views(pool, t.name) == stored
    assert await _spans(pool, t.name) == spans


async def test_business_hours_targets_through_the_api(app_client, pool):
    """A target counted in a calendar: 1 open hour a week, on the weekday two days ago (UTC)."""
    tenant = await new_tenant(pool, "cal")
    day = (clock.now() - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    policy = (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()
    policy["calendars"] = {"one-hour": {"timezone": "UTC", "weekly": {weekday: [["09:00", "10:00"]]}}}
    policy["severities"]["sev3"]["targets"]["acknowledge"] = {"seconds": 3600, "calendar": "one-hour"}
    policy["severities"]["sev3"]["targets"]["first_response"] = {"seconds": 7200, "calendar": "one-hour"}
    assert (await app_client.put("/v1/policy", json=policy, headers=tenant.auth("admin"))).status_code == 200

    t = await Timeline(app_client, tenant, day + timedelta(hours=8)).detect(severity="sev3")
    await t.at(90, "acknowledge")  # 09:30: half an hour of open time after the 09:00 opening
    sla = (await t.get())["sla"]
    ack = sla["acknowledge"]
    assert ack["calendar"] == "one-hour"
    assert parse(ack["due_at"]) == day + timedelta(hours=10)  # the budget runs out at closing time
    assert (ack["status"], ack["elapsed_seconds"]) == ("met", 1800)
    first = sla["first_response"]
    assert first["status"] == "pending"
    assert parse(first["due_at"]) == day + timedelta(days=7, hours=10)  # the second open hour, a week on


async def test_coverage_report_filters_the_assignees_to_the_filtered_incidents(app_client, scenario):
    tenant, *_ = scenario
    h = tenant.auth("read")
    everything = (await app_client.get("/v1/reports/coverage", headers=h)).json()
    since_long_ago = (await app_client.get("/v1/reports/coverage?since=2000-01-01T00:00:00Z", headers=h)).json()
    assert since_long_ago == everything  # the filtered query and the whole-tenant one agree
    sev3 = (await app_client.get("/v1/reports/coverage?severity=sev3", headers=h)).json()
    # Only C is sev3: ayse and zeynep hold its roles; mehmet (A only) is not there.
    assert sev3["assignees"] == [
        {"assignee": "ayse", "incidents": 1, "peak_concurrent_open": 1},
        {"assignee": "zeynep", "incidents": 1, "peak_concurrent_open": 1},
    ]
    assert {r["role"]: r["incidents_requiring"] for r in sev3["roles"]} == {"incident_lead": 1, "social_responder": 1}
    nothing = (await app_client.get("/v1/reports/coverage?channel=tiktok", headers=h)).json()
    assert nothing == {"roles": [], "assignees": []}


async def test_grouped_sla_report_has_the_figures_of_the_sorted_grouping(pool):
    """SLA_REPORT_GROUPED (groups hashed, percentiles from each group's arrays) gives exactly the
    rows SLA_REPORT gives when it groups (all rows sorted by the group key, then aggregated)."""
    import random

    from projections.reports import SLA_REPORT, SLA_REPORT_GROUPED

    rng = random.Random(7)
    tenant = f"grouped-{uuid.uuid4().hex[:8]}"
    base = datetime(2026, 9, 1, tzinfo=UTC)
    rows = []
    for _ in range(600):
        start = base + timedelta(hours=rng.randrange(24 * 60))
        dues = [start + timedelta(seconds=rng.choice([60, 600, 3600, 10**6])) for _ in range(4)]
        iso = start.isocalendar()
        gaps = [rng.randrange(1, 9000) for _ in range(rng.choice([0, 0, 1, 3]))]
        rows.append((
            start, *dues,
            rng.choice([-1, 0, 5, 300, 7200]), rng.choice([-1, 0, 40, 900]), rng.choice([-1, 3600, 86400]),
            len(gaps), rng.randrange(2), rng.randrange(2),
            rng.randrange(5), rng.randrange(5), rng.randrange(5), rng.random() < 0.5,
            uuid.uuid4(), tenant, rng.choice(["sev1", "sev2", "sev3", "sev4"]),
            rng.choice(["x", "instagram", "é-mail"]),
            f"{iso.year}-W{iso.week:02d}", rng.choice([None, "outage", "Ölverschmutzung", "recall"]), gaps,
            rng.choice([None, None, 0, 40_000, rng.randrange(10**12)]),
        ))  # fmt: skip
    await pool.copy_records_to_table(
        "sla_report_rows",
        records=rows,
        columns=[
            "start_at", "ack_due", "first_due", "resolve_due", "update_running_due",
            "ack_elapsed", "first_elapsed", "resolve_elapsed", "update_gaps", "update_gaps_breached",
            "update_unanswered", "ack_state", "first_state", "resolve_state", "has_update_target",
            "incident_id", "tenant_id", "severity", "channel", "start_week", "scenario", "update_gap_seconds",
            "peak_reach",
        ],
    )  # fmt: skip
    now = base + timedelta(days=30)
    for group_by in ("severity", "scenario", "channel", "week"):
        for since in (None, base + timedelta(days=20)):
            args = (tenant, since, None, None, None, None, group_by, now)
            sorted_rows = [dict(r) for r in await pool.fetch(SLA_REPORT, *args)]
            hashed_rows = [dict(r) for r in await pool.fetch(SLA_REPORT_GROUPED, *args)]
            assert len(sorted_rows) > 1
            assert hashed_rows == sorted_rows, (group_by, since)
            assert all(r["reach_count"] for r in sorted_rows) and all(r["reach_p50"] is not None for r in sorted_rows)


async def test_percentiles_read_off_a_sorted_array_are_percentile_conts(pool):
    """ledger_percentiles(ledger_sorted(a), ...) (the baseline migration) gives what percentile_cont gives,
    to the bit: empty and one-value arrays, duplicates, negatives, sizes that fall between rows."""
    import random

    rng = random.Random(11)
    cases = [[], [7], [3, 3, 3], [-5, 10], [2**31 - 1, -(2**31), 0]]
    cases += [[rng.randrange(-50, 9000) for _ in range(rng.randrange(2, 400))] for _ in range(60)]
    fractions = [0.5, 0.9, 0.95, 0.0, 1.0, 0.333]
    for values in cases:
        expected = await pool.fetchval(
            "SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY v) FROM unnest($1::int[]) AS v",
            values,
            fractions,
        )
        got = await pool.fetchval(
            "SELECT ledger_percentiles(ledger_sorted($1::int[]), $2::float8[])", values, fractions
        )
        assert got == expected, values
        assert await pool.fetchval("SELECT ledger_sorted($1::int[])", values) == sorted(values)
    assert await pool.fetchval("SELECT ledger_sorted(NULL::int[])") is None


async def test_peak_reach_percentiles_read_off_a_sorted_bigint_array_are_percentile_conts(pool):
    """The grouped reports sort each group's peak reach (bigint, past int's range) with the same
    ledger_sorted: the median is percentile_cont's, the sorted array Python's order."""
    import random

    rng = random.Random(13)
    cases = [[], [10**12], [0, 0], [2**62, 1, 2**40, 2**31], [40_000, 7]]
    cases += [[rng.randrange(10**13) for _ in range(rng.randrange(2, 300))] for _ in range(40)]
    for values in cases:
        expected = await pool.fetchval(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest($1::bigint[]) AS v", values
        )
        got = await pool.fetchval(
            "SELECT (ledger_percentiles(ledger_sorted($1::bigint[]), ARRAY[0.5]::float8[]))[1]", values
        )
        assert got == expected, values
        assert await pool.fetchval("SELECT ledger_sorted($1::bigint[])", values) == sorted(values)
    assert await pool.fetchval("SELECT ledger_sorted(NULL::bigint[])") is None
    assert await pool.fetchval("SELECT ledger_percentiles(ledger_sorted(NULL::int[]), ARRAY[0.5])") is None


async def test_reports_spell_their_numbers_as_the_typed_conversion_did(app_client, scenario):
    # The reports were dicts converted to SlaReport/CoverageReport by the handler (which turns an
    # int into a float where the field is a float); they are built as the Structs now. A body that
    # survives that conversion unchanged, byte for byte, is the one the old path answered.
    tenant, *_ = scenario
    for path, kind in (
        ("/v1/reports/sla", SlaReport),
        ("/v1/reports/sla?group_by=severity", SlaReport),
        ("/v1/reports/sla?group_by=week", SlaReport),
        ("/v1/reports/sla?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", SlaReport),
        ("/v1/reports/coverage", CoverageReport),
    ):
        body = (await app_client.get(path, headers=tenant.auth("read"))).content
        assert msgspec.json.encode(msgspec.convert(msgspec.json.decode(body), kind)) == body, path
    body = (await app_client.get("/v1/reports/sla", headers=tenant.auth("read"))).content
    assert b'"p50":3000.0' in body  # first_response: one sample, a float like every percentile
