"""PUT /v1/policy goes the one write path: If-Match (412), Idempotency-Key (replay, or 422) and
`actor`, with the policy row written in the event's transaction."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Tenant, new_tenant


async def _plan(client, tenant: Tenant) -> tuple[dict[str, Any], str]:
    r = await client.get("/v1/policy", headers=tenant.auth("read"))
    assert r.status_code == 200
    return r.json(), r.headers["etag"]


async def _written(pool, tenant: Tenant) -> tuple[int, int]:
    """(policy_changed events, policy rows) of the tenant."""
    events = await pool.fetchval(
        "SELECT count(*) FROM events WHERE tenant_id = $1 AND type = 'policy_changed'", tenant.name
    )
    rows = await pool.fetchval("SELECT count(*) FROM policies WHERE tenant_id = $1", tenant.name)
    return events, rows


def _with_role(plan: dict[str, Any], role: str) -> dict[str, Any]:
    return {**plan, "roles": [*plan["roles"], role]}


async def test_if_match_the_version_in_force_replaces_it_and_a_stale_one_is_412(app_client, pool):
    tenant = await new_tenant(pool, "pol")
    admin = tenant.auth("admin")
    plan, etag = await _plan(app_client, tenant)
    assert etag == '"0"' and plan["version"] == 0

    r = await app_client.put("/v1/policy", json=_with_role(plan, "translator"), headers={**admin, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["etag"] == '"1"'
    assert (await _plan(app_client, tenant))[1] == '"1"'

    stale = await app_client.put("/v1/policy", json=_with_role(plan, "lawyer"), headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 412, stale.text
    problem = stale.json()
    assert problem["type"].endswith("version-mismatch")
    assert problem["detail"] == "the policy is at version 1, not 0"
    assert await _written(pool, tenant) == (1, 1)
    assert "lawyer" not in (await _plan(app_client, tenant))[0]["roles"]

    # Without If-Match the last writer wins, as before.
    r = await app_client.put("/v1/policy", json=_with_role(plan, "lawyer"), headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert await _written(pool, tenant) == (2, 2)


async def test_a_retry_with_the_idempotency_key_answers_the_first_response_and_writes_nothing(app_client, pool):
    tenant = await new_tenant(pool, "pol")
    plan, _ = await _plan(app_client, tenant)
    headers = {**tenant.auth("admin"), "Idempotency-Key": "plan-2026"}
    first = await app_client.put("/v1/policy", json=_with_role(plan, "translator"), headers=headers)
    assert first.status_code == 200, first.text
    # Another change in between: the retry still answers what the first request did.
    other = await app_client.put("/v1/policy", json=_with_role(plan, "lawyer"), headers=tenant.auth("admin"))
    assert other.json()["version"] == 2
    again = await app_client.put("/v1/policy", json=_with_role(plan, "translator"), headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json() and again.headers["etag"] == '"1"'
    assert await _written(pool, tenant) == (2, 2)

    reused = await app_client.put("/v1/policy", json=_with_role(plan, "auditor"), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency-key-reused")
    assert await _written(pool, tenant) == (2, 2)


async def test_concurrent_retries_with_one_key_record_one_change(app_client, pool):
    tenant = await new_tenant(pool, "pol")
    plan, _ = await _plan(app_client, tenant)
    headers = {**tenant.auth("admin"), "Idempotency-Key": "once"}
    body = _with_role(plan, "translator")
    answers = await asyncio.gather(*(app_client.put("/v1/policy", json=body, headers=headers) for _ in range(8)))
    assert {r.status_code for r in answers} == {200}
    assert {r.json()["version"] for r in answers} == {1}
    assert await _written(pool, tenant) == (1, 1)


async def test_the_actor_is_recorded_on_the_event_and_in_the_history_not_in_the_plan(app_client, pool):
    tenant = await new_tenant(pool, "pol")
    plan, _ = await _plan(app_client, tenant)
    admin = tenant.auth("admin")
    r = await app_client.put("/v1/policy", json={**plan, "actor": "ayse@brand.example"}, headers=admin)
    assert r.status_code == 200, r.text
    assert "actor" not in r.json()
    r = await app_client.put("/v1/policy", json=plan, headers=admin)  # (no actor: the key's name)
    assert r.status_code == 200
    assert "actor" not in (await _plan(app_client, tenant))[0]

    feed = (await app_client.get("/v1/events", headers=tenant.auth("read"))).json()["items"]
    changes = [(e["data"]["version"], e["actor"], e["recorded_by"]) for e in feed if e["type"] == "policy_changed"]
    assert changes == [(1, "ayse@brand.example", "admin-key"), (2, "admin-key", "admin-key")]
    history = (await app_client.get("/v1/policy/history", headers=tenant.auth("read"))).json()["items"]
    assert [(h["version"], h["changed_by"], h["recorded_by"]) for h in history] == [
        (2, "admin-key", "admin-key"),
        (1, "ayse@brand.example", "admin-key"),
    ]
    assert "actor" not in history[1]["policy"]
    verify = (await app_client.get("/v1/audit/verify", headers=tenant.auth("read"))).json()
    assert verify["ok"] is True, verify  # (the policy rows agree with their events)

    bad = await app_client.put("/v1/policy", json={**plan, "actor": ""}, headers=admin)
    assert bad.status_code == 422 and bad.json()["type"].endswith("invalid-value")
    assert await _written(pool, tenant) == (2, 2)
