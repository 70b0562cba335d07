"""SIGKILL the server mid-load: every write answered 2xx survives, none twice, and the chain verifies."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from ledger.audit import chain
from tests.conftest import detect_body, new_tenant
from tests.processes import ServerProcess

CLIENTS = 8
PER_CLIENT = 400  # an upper bound; the kill ends the load long before


async def test_crash_mid_load_loses_nothing(database_url, pool):
    tenant = await new_tenant(pool, "crash")
    server = ServerProcess(database_url, workers=2).start()
    answered: set[str] = set()
    unanswered: set[str] = set()
    under_load = asyncio.Event()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            r = await http.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
            iid = r.json()["id"]

            async def client(c: int) -> None:
                for i in range(PER_CLIENT):
                    key = f"c{c}-{i}"
                    try:
                        r = await http.post(
                            f"/v1/incidents/{iid}/notes",
                            json={"text": key},
                            headers={**tenant.auth(), "Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        unanswered.add(key)  # the server died under this request: retry it later
                        return
                    assert r.status_code == 201, r.text
                    answered.add(key)
                    if len(answered) >= 100:
                        under_load.set()

            load = [asyncio.create_task(client(c)) for c in range(CLIENTS)]
            await asyncio.wait_for(under_load.wait(), 60)
            await asyncio.to_thread(server.kill)
            await asyncio.wait_for(asyncio.gather(*load), 30)
        assert answered and unanswered

        await asyncio.to_thread(server.start)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            for key in sorted(unanswered):  # clients retry with their Idempotency-Key
                r = await http.post(
                    f"/v1/incidents/{iid}/notes",
                    json={"text": key},
                    headers={**tenant.auth(), "Idempotency-Key": key},
                )
                assert r.status_code == 201, r.text
            history = (await http.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    finally:
        await asyncio.to_thread(server.stop)

    notes = Counter(e["data"]["text"] for e in history if e["type"] == "noted")
    assert set(notes) == answered | unanswered  # every answered write is there, and every retried one
    assert max(notes.values()) == 1  # none twice
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    rows = [r async for r in chain.rows_of(pool, tenant.name)]
    checked, problem, _ = chain.check(rows, tenant.name)
    assert problem is None and checked == len(rows)


async def test_request_size_limits_over_http(database_url, pool):
    """The head is bounded by the server (431); bodies stream to the app's own limit (413)."""
    import http.client

    tenant = await new_tenant(pool, "size")
    server = await asyncio.to_thread(ServerProcess(database_url).start)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as web:
            big = detect_body(summary="s" * 19_000, title="t" * 500)
            assert (await web.post("/v1/incidents", json=big, headers=tenant.auth())).status_code == 201
            # Sent without a Content-Length, so the server reads the body up to its limit before it
            # answers: with a declared length over the limit it answers at once, and closing on the
            # unread rest of the body resets the connection under the client before the answer is
            # read (a transport race, not the service's). A reset is still tried again.
            huge = b'{"text": "' + b"a" * (1024 * 1024 + 1) + b'"}'

            async def chunks():
                for at in range(0, len(huge), 65_536):
                    yield huge[at : at + 65_536]

            answers = []
            for _ in range(10):
                try:
                    headers = {**tenant.auth(), "Content-Type": "application/json"}
                    answers.append(await web.post("/v1/incidents", content=chunks(), headers=headers))
                    break
                except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                    await asyncio.sleep(0.05)
            assert answers, "every attempt was reset before an answer arrived"
            r = answers[0]
            assert r.status_code == 413 and r.json()["type"].endswith("payload-too-large")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/healthz", headers={"X-Padding": "a" * 200_000})
        assert conn.getresponse().status == 431
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/healthz", headers={"X-Padding": "a" * 4_000})
        assert conn.getresponse().status == 200
    finally:
        await asyncio.to_thread(server.stop)
