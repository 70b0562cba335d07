"""Hostile and malformed input: each a clear 4xx problem, and nothing written."""

from __future__ import annotations

import pytest

from tests.conftest import detect_body

JSON = {"content-type": "application/json"}


@pytest.fixture
async def incident(app_client, tenant):
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    return r.json()["id"]


async def _events(pool, tenant) -> int:
    return await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name)


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("nesting bomb", b"[" * 100_000 + b"]" * 100_000, 400),
        ("invalid utf-8", b'{"text": "\xff\xfe"}', 400),
        ("lone surrogate", b'{"text": "\\ud800"}', 400),
        ("truncated", b'{"text": "abc', 400),
        ("not an object", b"[1, 2, 3]", 422),
        ("a bare string", b'"hello"', 422),
        ("empty body", b"", 422),
        ("NUL in text", b'{"text": "a\\u0000b"}', 422),
        ("escape control char", b'{"text": "a\\u001bb"}', 422),
        ("year zero", b'{"text": "x", "occurred_at": "0000-01-01T00:00:00Z"}', 422),
        ("year 275760", b'{"text": "x", "occurred_at": "+275760-09-13T00:00:00Z"}', 422),
        ("far past", b'{"text": "x", "occurred_at": "0001-01-01T00:00:00Z"}', 422),
        ("far future", b'{"text": "x", "occurred_at": "9999-12-31T23:59:59Z"}', 422),
        ("no time zone", b'{"text": "x", "occurred_at": "2026-11-24T10:00:00"}', 422),
        ("huge integer", b'{"text": "x", "kind": 99999999999999999999999999}', 422),
        ("unknown enum", b'{"text": "x", "kind": "rumour"}', 422),
        ("unknown field", b'{"text": "x", "admin": true}', 422),
        ("sql in a field", b'{"text": "x", "kind": "note\'); DROP TABLE events;--"}', 422),
        ("over-long actor", b'{"text": "x", "actor": "' + b"a" * 201 + b'"}', 422),
        ("newline in actor", b'{"text": "x", "actor": "a\\nb"}', 422),
    ],
)
async def test_malformed_bodies_are_refused_and_write_nothing(app_client, tenant, pool, incident, name, body, status):
    before = await _events(pool, tenant)
    r = await app_client.post(f"/v1/incidents/{incident}/notes", content=body, headers={**tenant.auth(), **JSON})
    assert r.status_code == status, (name, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == status and r.json()["type"].startswith("urn:crisis-ledger:problem:")
    assert await _events(pool, tenant) == before


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/v1/events?after=99999999999999999999", {}),
        ("/v1/events?limit=1000000000", {}),
        ("/v1/events?limit=-1", {}),
        ("/v1/incidents?cursor=99999999999999999999", {}),
        ("/v1/incidents?cursor=1%27%20OR%201=1", {}),
        ("/v1/incidents?at_risk_within=soon", {}),
        ("/v1/incidents?missing_role=Legal%3B%20DROP", {}),
        ("/v1/incidents?status=closed", {}),
        ("/v1/reports/sla?since=yesterday", {}),
        ("/v1/reports/sla?since=2026-01-01T00:00:00", {}),
        ("/v1/reports/sla?group_by=tenant", {}),
    ],
)
async def test_bad_parameters_are_400_problems(app_client, tenant, url, headers):
    r = await app_client.get(url, headers={**tenant.auth("read"), **headers})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "urn:crisis-ledger:problem:invalid-parameter"


async def test_header_injection_and_bad_headers_write_nothing(app_client, tenant, pool, incident):
    before = await _events(pool, tenant)
    url = f"/v1/incidents/{incident}/notes"
    for headers in (
        {"Idempotency-Key": "a\tb"},
        {"Idempotency-Key": "x" * 300},
        {"If-Match": '"1"; DROP TABLE events'},
        {"If-Match": '"99999999999999"'},
    ):
        r = await app_client.post(url, json={"text": "x"}, headers={**tenant.auth(), **headers})
        assert r.status_code == 400, (headers, r.text)
    r = await app_client.post(
        url, json={"text": "x"}, headers={**tenant.auth(), "X-Request-ID": "evil\r\nSet-Cookie: a=b"}
    )
    assert r.status_code == 201 and "set-cookie" not in r.headers and "\n" not in r.headers["x-request-id"]
    assert await _events(pool, tenant) == before + 1


async def test_sql_injection_in_path_and_query_is_inert(app_client, tenant, pool):
    h = tenant.auth()
    r = await app_client.get("/v1/incidents?scenario=x%27%20OR%20%271%27=%271", headers=h)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await app_client.delete("/v1/incidents/00000000-0000-0000-0000-000000000000/assignments/legal'--/x", headers=h)
    assert r.status_code == 404
    assert await pool.fetchval("SELECT count(*) FROM events") >= 0  # the table is still there
