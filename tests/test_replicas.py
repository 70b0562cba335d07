"""Two service processes on one database share the background work without duplicating an effect,
and when one is killed the other carries on with everything."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Tenant, detect_body, new_tenant
from tests.processes import ServerProcess

ENV = {
    "LEDGER_BREACH_WATCH_INTERVAL_MS": "100",
    "LEDGER_CHECKPOINT_INTERVAL_MS": "100",
    "LEDGER_WEBHOOK_POLL_MS": "100",
}


async def _detect_overdue(base_url: str, tenant: Tenant, n: int) -> list[str]:
    """Incidents detected two hours ago: their acknowledge and first response are already breached."""
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    ids = []
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        for i in range(n):
            body = detect_body(severity="sev1", title=f"overdue {i}", occurred_at=when)
            r = await http.post("/v1/incidents", json=body, headers=tenant.auth())
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids


async def _notices(pool, tenant: Tenant) -> Counter:
    rows = await pool.fetch(
        "SELECT incident_id, data->>'metric' AS metric, data->>'kind' AS kind, data->>'due_at' AS due"
        " FROM events WHERE tenant_id = $1 AND type = 'sla_notice'",
        tenant.name,
    )
    return Counter((r["incident_id"], r["metric"], r["kind"], r["due"]) for r in rows)


async def test_two_replicas_share_background_work_and_survive_a_kill(database_url, pool):
    tenant = await new_tenant(pool, "rep")
    a = await asyncio.to_thread(ServerProcess(database_url, env=ENV).start)
    b = await asyncio.to_thread(ServerProcess(database_url, env=ENV).start)
    try:
        first = await _detect_overdue(a.base_url, tenant, 3) + await _detect_overdue(b.base_url, tenant, 3)

        async def notified(ids: list[str]) -> bool:
            seen = {str(key[0]) for key in await _notices(pool, tenant)}
            return set(ids) <= seen

        for _ in range(100):
            if await notified(first):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # both watchers have had several more looks
        notices = await _notices(pool, tenant)
        assert {str(k[0]) for k in notices} >= set(first)
        assert max(notices.values()) == 1  # each notice recorded once, however many processes watch
        assert {k[1] for k in notices} >= {"acknowledge", "first_response"}

        # Read models: every event applied exactly once (the views count matches the incidents).
        views = await pool.fetchval("SELECT count(*) FROM incident_views WHERE tenant_id = $1", tenant.name)
        assert views == len(first)
        # Checkpoints: at most one per position, whichever process signed.
        dupes = await pool.fetchval(
            "SELECT count(*) - count(DISTINCT position) FROM audit_checkpoints WHERE tenant_id = $1", tenant.name
        )
        assert dupes == 0

        # One replica dies; the other does all of the work from now on.
        await asyncio.to_thread(a.kill)
        later = await _detect_overdue(b.base_url, tenant, 3)
        for _ in range(100):
            if await notified(later):
                break
            await asyncio.sleep(0.1)
        notices = await _notices(pool, tenant)
        assert {str(k[0]) for k in notices} >= set(later) and max(notices.values()) == 1
        head = await pool.fetchval("SELECT head_position FROM tenants WHERE id = $1", tenant.name)

        async def signed_head() -> bool:
            newest = await pool.fetchval(
                "SELECT max(position) FROM audit_checkpoints WHERE tenant_id = $1", tenant.name
            )
            return newest is not None and newest >= head

        for _ in range(100):
            if await signed_head():
                break
            await asyncio.sleep(0.1)
        assert await signed_head()
        async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as http:
            report = (await http.get("/v1/audit/verify", headers=tenant.auth("read"))).json()
            assert report["ok"] is True, report
            listed = await http.get("/v1/incidents?breached=true&limit=100", headers=tenant.auth("read"))
            assert {i["id"] for i in listed.json()["items"]} == set(first + later)
    finally:
        await asyncio.to_thread(a.stop)
        await asyncio.to_thread(b.stop)
