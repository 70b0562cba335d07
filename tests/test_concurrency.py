"""50 clients racing on one incident: contiguous versions, exactly the right winners, nothing lost."""

from __future__ import annotations

import asyncio

from ledger.audit import chain
from tests.conftest import detect_body

CLIENTS = 50


async def _history(app_client, tenant, iid) -> list[dict]:
    r = await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))
    return r.json()["items"]


async def test_racing_without_if_match_all_land_once(app_client, tenant, pool):
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
    rs = await asyncio.gather(
        *(
            app_client.post(f"/v1/incidents/{iid}/notes", json={"text": f"note {i}"}, headers=tenant.auth())
            for i in range(CLIENTS)
        )
    )
    assert [r.status_code for r in rs] == [201] * CLIENTS
    history = await _history(app_client, tenant, iid)
    assert [e["version"] for e in history] == list(range(1, CLIENTS + 2))
    assert sorted(e["data"]["text"] for e in history[1:]) == sorted(f"note {i}" for i in range(CLIENTS))
    assert sorted(r.json()["version"] for r in rs) == list(range(2, CLIENTS + 2))


async def test_racing_with_if_match_exactly_one_wins_per_version(app_client, tenant):
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
    for version in (1, 2, 3):
        h = {**tenant.auth(), "If-Match": f'"{version}"'}
        rs = await asyncio.gather(
            *(app_client.post(f"/v1/incidents/{iid}/notes", json={"text": str(i)}, headers=h) for i in range(CLIENTS))
        )
        codes = sorted(r.status_code for r in rs)
        assert codes == [201] + [412] * (CLIENTS - 1)
    assert [e["version"] for e in await _history(app_client, tenant, iid)] == [1, 2, 3, 4]


async def test_racing_acknowledgements_only_one_is_recorded(app_client, tenant):
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]
    rs = await asyncio.gather(
        *(app_client.post(f"/v1/incidents/{iid}/acknowledge", headers=tenant.auth()) for _ in range(CLIENTS))
    )
    assert sorted(r.status_code for r in rs) == [201] + [409] * (CLIENTS - 1)
    assert [e["type"] for e in await _history(app_client, tenant, iid)] == ["detected", "acknowledged"]


async def test_racing_with_idempotency_keys_and_mixed_actions_keep_the_chain(app_client, tenant, pool):
    iid = (await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())).json()["id"]

    async def client(i: int) -> list[int]:
        h = {**tenant.auth(), "Idempotency-Key": f"client-{i}"}
        body = {"text": f"retry-safe {i}"}
        codes = []
        for _ in range(3):  # a client retrying the same request
            r = await app_client.post(f"/v1/incidents/{iid}/notes", json=body, headers=h)
            codes.append(r.status_code)
        return codes

    results = await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    assert all(codes == [201, 201, 201] for codes in results)
    history = await _history(app_client, tenant, iid)
    assert len(history) == CLIENTS + 1  # each client's note exactly once
    rows = [r async for r in chain.rows_of(pool, tenant.name)]
    checked, problem, _ = chain.check(rows, tenant.name)
    assert problem is None and checked == CLIENTS + 1
