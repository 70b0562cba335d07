"""Inbound signals: add to the open incident with the dedup_key (200), or detect a new one (201)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.conftest import new_tenant


def signal(key: str, **overrides) -> dict:
    body = {
        "dedup_key": key,
        "title": "Spike in complaints about late deliveries",
        "severity": "sev3",
        "channel": "instagram",
        "source_url": "https://instagram.com/p/abc",
        "summary": "40 new comments in an hour",
        "reach": 5000,
    }
    body.update(overrides)
    return body


async def _history(client, tenant, iid: str) -> list[dict]:
    return (await client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]


async def test_a_new_key_detects_then_the_same_key_adds_to_the_open_incident(app_client, pool):
    tenant = await new_tenant(pool, "sig")
    first = await app_client.post("/v1/signals", json=signal("k1"), headers=tenant.auth())
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    incident = first.json()["incident"]
    assert incident["dedup_key"] == "k1" and incident["severity"] == "sev3" and incident["version"] == 1
    assert first.headers["location"] == f"/v1/incidents/{incident['id']}"

    more = await app_client.post(
        "/v1/signals", json=signal("k1", reach=90000, summary="now on the news"), headers=tenant.auth()
    )
    assert more.status_code == 200, more.text
    assert more.json() == {"created": False, "incident": more.json()["incident"]}
    assert more.json()["incident"]["id"] == incident["id"] and more.json()["incident"]["version"] == 2
    history = await _history(app_client, tenant, incident["id"])
    assert [e["type"] for e in history] == ["detected", "signal_received"]
    assert history[1]["data"]["reach"] == 90000 and history[1]["data"]["summary"] == "now on the news"

    other = await app_client.post("/v1/signals", json=signal("k2"), headers=tenant.auth())
    assert other.status_code == 201 and other.json()["incident"]["id"] != incident["id"]


async def test_after_resolution_the_key_starts_a_new_incident(app_client, pool):
    tenant = await new_tenant(pool, "sig")
    first = (await app_client.post("/v1/signals", json=signal("k"), headers=tenant.auth())).json()["incident"]
    r = await app_client.post(f"/v1/incidents/{first['id']}/resolve", json={"summary": "ok"}, headers=tenant.auth())
    assert r.status_code == 201
    again = await app_client.post("/v1/signals", json=signal("k"), headers=tenant.auth())
    assert again.status_code == 201 and again.json()["created"] is True
    assert again.json()["incident"]["id"] != first["id"]
    assert [e["type"] for e in await _history(app_client, tenant, first["id"])] == ["detected", "resolved"]


async def test_concurrent_signals_with_one_new_key_create_exactly_one_incident(app_client, pool):
    tenant = await new_tenant(pool, "sig")
    key = f"storm-{uuid.uuid4()}"
    answers = await asyncio.gather(
        *(app_client.post("/v1/signals", json=signal(key, reach=i), headers=tenant.auth()) for i in range(30))
    )
    assert sorted(r.status_code for r in answers) == [200] * 29 + [201]
    ids = {r.json()["incident"]["id"] for r in answers}
    assert len(ids) == 1
    (iid,) = ids
    rows = await pool.fetch("SELECT id FROM incidents WHERE tenant_id = $1 AND dedup_key = $2", tenant.name, key)
    assert [str(r["id"]) for r in rows] == [iid]
    history = await _history(app_client, tenant, iid)
    assert [e["type"] for e in history] == ["detected"] + ["signal_received"] * 29
    assert [e["version"] for e in history] == list(range(1, 31))
    assert sorted(e["data"]["reach"] for e in history) == list(range(30))


async def test_a_retried_signal_with_its_idempotency_key_is_answered_again_not_added(app_client, pool):
    tenant = await new_tenant(pool, "sig")
    headers = {**tenant.auth(), "Idempotency-Key": "sig-1"}
    a = await app_client.post("/v1/signals", json=signal("k"), headers=headers)
    b = await app_client.post("/v1/signals", json=signal("k"), headers=headers)
    assert (a.status_code, b.status_code) == (201, 201) and a.json() == b.json()
    headers2 = {**tenant.auth(), "Idempotency-Key": "sig-2"}
    c = await app_client.post("/v1/signals", json=signal("k"), headers=headers2)
    d = await app_client.post("/v1/signals", json=signal("k"), headers=headers2)
    assert (c.status_code, d.status_code) == (200, 200) and c.json() == d.json()
    iid = a.json()["incident"]["id"]
    assert len(await _history(app_client, tenant, iid)) == 2
    changed = await app_client.post("/v1/signals", json=signal("k", reach=1), headers=headers2)
    assert changed.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"title": "no key", "severity": "sev3", "channel": "x"},
        signal(""),
        signal("k", severity="sev9"),
        signal("k", channel="myspace"),
        signal("k", reach=-1),
        signal("k", occurred_at="2999-01-01T00:00:00Z"),
        signal("k", surprise=True),
    ],
)
async def test_bad_signals_are_refused_and_write_nothing(app_client, pool, body):
    tenant = await new_tenant(pool, "sig")
    r = await app_client.post("/v1/signals", json=body, headers=tenant.auth())
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert await pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.name) == 0
