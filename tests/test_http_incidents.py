"""End-to-end HTTP tests of the incident API: every endpoint, every error type, scopes, tenant isolation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.service.access import KEY_CACHE_SECONDS
from tests import clock
from tests.conftest import detect_body, new_tenant

PROBLEM = "application/problem+json"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _count_events(pool, tenant) -> int:
    return await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)


def assert_problem(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"] == f"urn:crisis-ledger:problem:{kind}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


async def _detect(client, tenant, **overrides) -> dict:
    r = await client.post("/v1/incidents", json=detect_body(**overrides), headers=tenant.auth())
    assert r.status_code == 201, r.text
    return r.json()


async def test_x_crisis_from_detection_to_resolution(app_client, tenant, pool):
    h = tenant.auth()
    r = await app_client.post("/v1/incidents", json=detect_body(severity="sev1"), headers=h)
    assert r.status_code == 201
    incident = r.json()
    iid = incident["id"]
    assert r.headers["location"] == f"/v1/incidents/{iid}"
    assert r.headers["etag"] == '"1"'
    assert incident["status"] == "open" and incident["version"] == 1 and incident["policy_version"] == 0

    steps = [
        ("acknowledge", {"note": "on it", "actor": "ayse@brand.example"}, "acknowledged"),
        ("assignments", {"role": "incident_lead", "assignee": "ayse@brand.example"}, "assigned"),
        ("assignments", {"role": "social_responder", "assignee": "mehmet@brand.example"}, "assigned"),
        (
            "replies",
            {"channel": "x", "visibility": "public", "text": "We hear you and are looking into it. DM us."},
            "replied",
        ),
        ("severity", {"severity": "sev2", "reason": "contained"}, "severity_changed"),
        ("notes", {"text": "call with legal at 15:00", "kind": "meeting"}, "noted"),
        ("resolve", {"summary": "replacement programme announced"}, "resolved"),
        ("reopen", {"reason": "new wave of complaints"}, "reopened"),
        ("resolve", {"summary": "settled"}, "resolved"),
    ]
    for version, (action, body, event_type) in enumerate(steps, start=2):
        r = await app_client.post(f"/v1/incidents/{iid}/{action}", json=body, headers=h)
        assert r.status_code == 201, (action, r.text)
        event = r.json()
        assert event["type"] == event_type and event["version"] == version
        assert r.headers["etag"] == f'"{version}"'
        assert event["recorded_by"] == "write-key"
        assert event["actor"] == body.get("actor", "write-key")
    r = await app_client.delete(f"/v1/incidents/{iid}/assignments/incident_lead/ayse@brand.example", headers=h)
    assert r.status_code == 201 and r.json()["type"] == "unassigned"

    r = await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))
    state = r.json()
    assert r.headers["etag"] == '"11"'
    assert state["status"] == "resolved" and state["severity"] == "sev2"
    assert state["acknowledged_at"] and state["first_response_at"] and state["resolved_at"]
    assert [a["role"] for a in state["assignments"]] == ["social_responder"]

    r = await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))
    history = r.json()["items"]
    assert [e["version"] for e in history] == list(range(1, 12))
    assert history[4]["type"] == "replied" and len(history[4]["data"]["text_sha256"]) == 64
    r = await app_client.get(f"/v1/incidents/{iid}/events?after=9", headers=tenant.auth("read"))
    assert [e["version"] for e in r.json()["items"]] == [10, 11]
    r = await app_client.get(f"/v1/incidents/{iid}/events?after=11", headers=tenant.auth("read"))
    assert (r.status_code, r.json()) == (200, {"items": [], "next": None})  # past its end: nothing yet

    feed = (await app_client.get("/v1/events?after=0&limit=1000", headers=tenant.auth("read"))).json()
    assert [e["position"] for e in feed["items"]] == list(range(1, 12))
    assert feed["items"][0]["prev_hash"] == "0" * 64
    for prev, cur in zip(feed["items"], feed["items"][1:], strict=False):
        assert cur["prev_hash"] == prev["hash"]


async def test_feed_pages_with_next(app_client, tenant):
    for _ in range(5):
        await _detect(app_client, tenant)
    r = await app_client.get("/v1/events?limit=2", headers=tenant.auth("read"))
    page = r.json()
    assert [e["position"] for e in page["items"]] == [1, 2] and page["next"] == 2
    page = (await app_client.get(f"/v1/events?after={page['next']}&limit=2", headers=tenant.auth("read"))).json()
    assert [e["position"] for e in page["items"]] == [3, 4] and page["next"] == 4
    page = (await app_client.get("/v1/events?after=4&limit=2", headers=tenant.auth("read"))).json()
    assert [e["position"] for e in page["items"]] == [5] and page["next"] is None


async def test_list_filters_and_cursor(app_client, tenant):
    a = await _detect(app_client, tenant, severity="sev1", channel="x", scenario="data-breach")
    b = await _detect(app_client, tenant, severity="sev3", channel="instagram", scenario="offensive-post")
    c = await _detect(app_client, tenant, severity="sev3", channel="x")
    await app_client.post(f"/v1/incidents/{c['id']}/resolve", json={"summary": "done"}, headers=tenant.auth())
    h = tenant.auth("read")

    async def ids(query: str) -> list[str]:
        r = await app_client.get(f"/v1/incidents?{query}", headers=h)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids("") == [c["id"], b["id"], a["id"]]
    assert await ids("status=open") == [b["id"], a["id"]]
    assert await ids("status=resolved") == [c["id"]]
    assert await ids("severity=sev3") == [c["id"], b["id"]]
    assert await ids("channel=x") == [c["id"], a["id"]]
    assert await ids("scenario=data-breach") == [a["id"]]
    first = (await app_client.get("/v1/incidents?limit=2", headers=h)).json()
    assert [i["id"] for i in first["items"]] == [c["id"], b["id"]] and first["next"]
    second = (await app_client.get(f"/v1/incidents?limit=2&cursor={first['next']}", headers=h)).json()
    assert [i["id"] for i in second["items"]] == [a["id"]] and second["next"] is None


async def test_if_match(app_client, tenant, pool):
    iid = (await _detect(app_client, tenant))["id"]
    h = tenant.auth()
    r = await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "a"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 201 and r.headers["etag"] == '"2"'
    before = await _count_events(pool, tenant)
    r = await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "b"}, headers={**h, "If-Match": '"1"'})
    assert_problem(r, 412, "version-mismatch")
    r = await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "b"}, headers={**h, "If-Match": "nonsense"})
    assert_problem(r, 400, "invalid-parameter")
    assert await _count_events(pool, tenant) == before


async def test_if_match_race_has_exactly_one_winner(app_client, tenant, pool):
    iid = (await _detect(app_client, tenant))["id"]
    h = {**tenant.auth(), "If-Match": '"1"'}
    rs = await asyncio.gather(
        *(app_client.post(f"/v1/incidents/{iid}/notes", json={"text": str(i)}, headers=h) for i in range(10))
    )
    assert sorted(r.status_code for r in rs) == [201] + [412] * 9
    assert await _count_events(pool, tenant) == 2


async def test_idempotency_key_over_http(app_client, tenant, pool):
    h = {**tenant.auth(), "Idempotency-Key": "detect-42"}
    r1 = await app_client.post("/v1/incidents", json=detect_body(title="once"), headers=h)
    r2 = await app_client.post("/v1/incidents", json=detect_body(title="once"), headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json() and r1.headers["etag"] == r2.headers["etag"]
    assert await _count_events(pool, tenant) == 1
    r3 = await app_client.post("/v1/incidents", json=detect_body(title="other"), headers=h)
    assert_problem(r3, 422, "idempotency-key-reused")
    iid = r1.json()["id"]
    ack = {**tenant.auth(), "Idempotency-Key": "ack-1"}
    a1 = await app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=ack)
    a2 = await app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=ack)
    assert a1.status_code == a2.status_code == 201 and a1.json() == a2.json()
    assert await _count_events(pool, tenant) == 2


@pytest.mark.parametrize(
    ("action", "body", "status", "kind"),
    [
        ("acknowledge", {}, 409, "action-not-allowed"),  # already acknowledged
        ("assignments", {"role": "astronaut", "assignee": "a"}, 422, "invalid-value"),
        ("assignments", {"role": "legal", "assignee": "lawyer"}, 409, "action-not-allowed"),  # holds it
        ("severity", {"severity": "sev2"}, 409, "action-not-allowed"),  # same severity
        ("reopen", {"reason": "x"}, 409, "action-not-allowed"),  # not resolved
        ("replies", {"channel": "x", "visibility": "public", "text": "a" * 281}, 422, "invalid-value"),
        ("replies", {"channel": "x", "visibility": "public", "text": "日" * 141}, 422, "invalid-value"),
        ("notes", {"text": "x", "occurred_at": "2000-01-01T00:00:00Z"}, 422, "invalid-value"),
        ("notes", {"text": "x", "occurred_at": "9999-12-31T23:59:59Z"}, 422, "invalid-value"),
        ("notes", {"text": "x", "occurred_at": "2026-01-01T00:00:00"}, 422, "validation-failed"),  # naive
        ("notes", {"text": "x", "kind": "gossip"}, 422, "validation-failed"),
        ("notes", {"text": 5}, 422, "validation-failed"),
        ("notes", {"text": "x", "extra": 1}, 422, "validation-failed"),
        ("notes", {"text": "bad\u0000byte"}, 422, "validation-failed"),
        ("notes", {"text": "x" * 20_001}, 422, "validation-failed"),
        ("notes", {}, 422, "validation-failed"),
        ("resolve", {"summary": ""}, 422, "validation-failed"),
    ],
)
async def test_refused_actions_write_nothing(app_client, tenant, pool, action, body, status, kind):
    iid = (await _detect(app_client, tenant))["id"]
    h = tenant.auth()
    await app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=h)
    await app_client.post(f"/v1/incidents/{iid}/assignments", json={"role": "legal", "assignee": "lawyer"}, headers=h)
    before = await _count_events(pool, tenant)
    r = await app_client.post(f"/v1/incidents/{iid}/{action}", json=body, headers=h)
    assert_problem(r, status, kind)
    assert await _count_events(pool, tenant) == before


async def test_resolved_incident_refuses_open_only_actions_but_takes_notes(app_client, tenant):
    iid = (await _detect(app_client, tenant))["id"]
    h = tenant.auth()
    await app_client.post(f"/v1/incidents/{iid}/resolve", json={"summary": "done"}, headers=h)
    r = await app_client.post(
        f"/v1/incidents/{iid}/replies", json={"channel": "x", "visibility": "public", "text": "hi"}, headers=h
    )
    assert_problem(r, 409, "action-not-allowed")
    r = await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "post-mortem"}, headers=h)
    assert r.status_code == 201


async def test_malformed_and_unsupported_bodies(app_client, tenant, pool, settings):
    iid = (await _detect(app_client, tenant))["id"]
    h = tenant.auth()
    before = await _count_events(pool, tenant)
    url = f"/v1/incidents/{iid}/notes"
    r = await app_client.post(url, content=b'{"text": ', headers={**h, "content-type": "application/json"})
    assert_problem(r, 400, "malformed-body")
    r = await app_client.post(url, content=b"\xff\xfe{}", headers={**h, "content-type": "application/json"})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(PROBLEM)
    r = await app_client.post(
        url, content=b"text=hi", headers={**h, "content-type": "application/x-www-form-urlencoded"}
    )
    assert_problem(r, 415, "unsupported-media-type")
    big = b'{"text": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    r = await app_client.post(url, content=big, headers={**h, "content-type": "application/json"})
    assert_problem(r, 413, "payload-too-large")
    r = await app_client.get("/v1/incidents?limit=100000000", headers=h)
    assert_problem(r, 400, "invalid-parameter")
    r = await app_client.get("/v1/events?after=-1", headers=h)
    assert_problem(r, 400, "invalid-parameter")
    r = await app_client.get("/v1/incidents?severity=sev9", headers=h)
    assert_problem(r, 400, "invalid-parameter")
    r = await app_client.get("/v1/incidents?scenario=%27%3B%20DROP%20TABLE%20events%3B--", headers=h)
    assert r.status_code == 200 and r.json()["items"] == []
    assert await _count_events(pool, tenant) == before


async def test_occurred_at_bounds_and_backdated_detection(app_client, tenant):
    now = clock.now()
    r = await app_client.post(
        "/v1/incidents", json=detect_body(occurred_at=_iso(now - timedelta(days=6))), headers=tenant.auth()
    )
    assert r.status_code == 201
    r = await app_client.post(
        "/v1/incidents", json=detect_body(occurred_at=_iso(now - timedelta(days=8))), headers=tenant.auth()
    )
    assert_problem(r, 422, "invalid-value")
    r = await app_client.post(
        "/v1/incidents", json=detect_body(occurred_at=_iso(now + timedelta(minutes=5))), headers=tenant.auth()
    )
    assert_problem(r, 422, "invalid-value")


async def test_not_found(app_client, tenant):
    h = tenant.auth()
    missing = uuid.uuid4()
    assert_problem(await app_client.get(f"/v1/incidents/{missing}", headers=h), 404, "not-found")
    assert_problem(await app_client.get(f"/v1/incidents/{missing}/events", headers=h), 404, "not-found")
    assert_problem(await app_client.post(f"/v1/incidents/{missing}/acknowledge", headers=h), 404, "not-found")
    assert_problem(await app_client.get("/v1/incidents/not-a-uuid", headers=h), 404, "not-found")
    assert_problem(await app_client.get("/v1/nothing-here", headers=h), 404, "not-found")


async def test_keys_and_scopes(app_client, tenant, pool):
    iid = (await _detect(app_client, tenant))["id"]
    r = await app_client.get(f"/v1/incidents/{iid}")
    body = assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer" and body
    r = await app_client.get(f"/v1/incidents/{iid}", headers={"Authorization": "Bearer clk_wrong"})
    assert_problem(r, 401, "unauthorized")
    r = await app_client.get(f"/v1/incidents/{iid}", headers={"Authorization": "Basic abc"})
    assert_problem(r, 401, "unauthorized")
    assert (await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))).status_code == 200
    r = await app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=tenant.auth("read"))
    assert_problem(r, 403, "forbidden")
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth("read"))
    assert_problem(r, 403, "forbidden")
    assert (await app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=tenant.auth("admin"))).status_code == 201

    from ledger.store.keys import revoke_key

    async with pool.acquire() as conn:
        await revoke_key(conn, tenant.name, "read-key")
    await asyncio.sleep(KEY_CACHE_SECONDS + 0.1)  # (the server found the key lately: it trusts it that long)
    r = await app_client.get(f"/v1/incidents/{iid}", headers=tenant.auth("read"))
    assert_problem(r, 401, "unauthorized")


async def test_tenant_isolation(app_client, tenant, pool):
    other = await new_tenant(pool, "other")
    mine = await _detect(app_client, tenant)
    theirs = await _detect(app_client, other)
    h = tenant.auth("admin")
    missing = uuid.uuid4()
    for iid in (theirs["id"], missing):
        a = await app_client.get(f"/v1/incidents/{iid}", headers=h)
        assert_problem(a, 404, "not-found")
        assert str(iid) in a.json()["detail"]  # says only what was asked, alike for both
        assert_problem(await app_client.get(f"/v1/incidents/{iid}/events", headers=h), 404, "not-found")
        r = await app_client.post(f"/v1/incidents/{iid}/notes", json={"text": "x"}, headers=h)
        assert_problem(r, 404, "not-found")
    assert [i["id"] for i in (await app_client.get("/v1/incidents", headers=h)).json()["items"]] == [mine["id"]]
    feed = (await app_client.get("/v1/events", headers=h)).json()["items"]
    assert {e["incident_id"] for e in feed} == {mine["id"]}
    assert await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", other.name) == 1


async def test_actor_defaults_to_key_name_and_is_taken_from_body(app_client, tenant):
    iid = (await _detect(app_client, tenant))["id"]
    r = await app_client.post(
        f"/v1/incidents/{iid}/notes", json={"text": "x", "actor": "bot:listener"}, headers=tenant.auth()
    )
    assert r.json()["actor"] == "bot:listener" and r.json()["recorded_by"] == "write-key"


async def test_health(app_client):
    assert (await app_client.get("/healthz")).json()["status"] == "ok"
    r = await app_client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["migrations"] == "current"


async def test_request_id_is_echoed(app_client):
    r = await app_client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await app_client.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})
    assert r.headers["x-request-id"] != "bad id\twith tab" and len(r.headers["x-request-id"]) == 32


async def test_an_appended_event_answers_its_times_in_utc_as_the_feed_does(app_client, tenant):
    """PRODUCT: times are RFC 3339 UTC — also in a 201 for an `occurred_at` sent with another offset."""
    h = tenant.auth()
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=h)).json()["id"]
    sent = (clock.now() + timedelta(seconds=5)).astimezone(timezone(timedelta(hours=2)))
    body = {"text": "n", "occurred_at": sent.replace(microsecond=123456).isoformat()}
    r = await app_client.post(f"/v1/incidents/{iid}/notes", json=body, headers=h)
    assert r.status_code == 201, r.text
    answered = r.json()
    assert answered["occurred_at"] == _iso(sent.replace(microsecond=123456))
    assert answered["recorded_at"].endswith("Z")
    feed = (await app_client.get("/v1/events?limit=1000", headers=tenant.auth("read"))).json()["items"]
    assert [e for e in feed if e["id"] == answered["id"]] == [answered]
