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
        ("no time zone", b'{"text": "x", "occurred_at": "2026-01-01T00:00:00"}', 422),
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


@pytest.mark.parametrize(
    "content_type",
    ["application/evil+json", "application/merge-patch+json", "text/plain", "application/jsonx", "text/json"],
)
async def test_only_application_json_is_taken(app_client, tenant, pool, incident, content_type):
    before = await _events(pool, tenant)
    r = await app_client.post(
        f"/v1/incidents/{incident}/notes",
        content=b'{"text": "x"}',
        headers={**tenant.auth(), "content-type": content_type},
    )
    assert r.status_code == 415, (content_type, r.text)
    assert r.json()["type"] == "urn:crisis-ledger:problem:unsupported-media-type"
    assert await _events(pool, tenant) == before
    ok = await app_client.post(
        f"/v1/incidents/{incident}/notes",
        content=b'{"text": "x"}',
        headers={**tenant.auth(), "content-type": "Application/JSON; charset=utf-8"},
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("top level", b'{"text": "x", "text": "y"}'),
        ("with spaces", b'{"text" : "x",\n "kind": "note", "text"  :"y"}'),
        ("spelled with an escape", b'{"text": "x", "\\u0074ext": "y"}'),
        ("in a nested object", b'{"role": "legal", "assignee": "a", "x": {"k": 1, "k": 2}}'),
    ],
)
async def test_a_key_twice_in_one_object_is_a_400(app_client, tenant, pool, incident, name, body):
    before = await _events(pool, tenant)
    path = "notes" if b'"text"' in body else "assignments"
    r = await app_client.post(f"/v1/incidents/{incident}/{path}", content=body, headers={**tenant.auth(), **JSON})
    assert r.status_code == 400, (name, r.text)
    assert r.json()["type"] == "urn:crisis-ledger:problem:malformed-body"
    assert "twice" in r.json()["detail"]
    assert await _events(pool, tenant) == before


async def test_the_same_key_in_different_objects_and_in_text_is_fine(app_client, tenant, incident):
    # "text": appears twice as a key-like string (once inside the text), "\n" escapes force a strict
    # parse: neither is a repeated key.
    body = b'{"text": "quote: \\"text\\": here\\nand again \\"text\\": there", "kind": "note"}'
    r = await app_client.post(f"/v1/incidents/{incident}/notes", content=body, headers={**tenant.auth(), **JSON})
    assert r.status_code == 201, r.text
    plan = (await app_client.get("/v1/policy", headers=tenant.auth("read"))).json()
    assert sum(len(s) for s in plan["severities"].values()) > 1  # each severity repeats the same keys
    r = await app_client.put("/v1/policy", json=plan, headers=tenant.auth("admin"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("value", ['5"', 'W/"2"', '"5', "5", '"5", "6"', '"-1"', "**", '"1 "'])
async def test_if_match_takes_only_a_strong_version_tag_or_a_star(app_client, tenant, pool, incident, value):
    before = await _events(pool, tenant)
    for url, body in ((f"/v1/incidents/{incident}/notes", {"text": "x"}), ("/v1/policy", None)):
        if body is None:
            body = (await app_client.get(url, headers=tenant.auth("read"))).json()
        method = app_client.put if url == "/v1/policy" else app_client.post
        r = await method(url, json=body, headers={**tenant.auth("admin"), "If-Match": value})
        assert r.status_code == 400, (url, value, r.text)
        assert r.json()["type"] == "urn:crisis-ledger:problem:invalid-parameter"
    assert await _events(pool, tenant) == before
    r = await app_client.post(
        f"/v1/incidents/{incident}/notes", json={"text": "x"}, headers={**tenant.auth(), "If-Match": "*"}
    )
    assert r.status_code == 201
