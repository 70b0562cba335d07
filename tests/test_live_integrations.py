"""The live feed, webhooks and signals across two real server processes sharing one database.

Writers spread over both processes; an SSE consumer and a webhook receiver follow the tenant.
After the load each must have every position exactly once and in order — across an SSE
reconnect to the other process with Last-Event-ID, and across a receiver outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from ledger.store.keys import revoke_key
from tests.conftest import Tenant, detect_body, new_tenant
from tests.processes import ServerProcess
from tests.webhook_receiver import Receiver, wait_until

ENV = {
    "LEDGER_WEBHOOK_ALLOW_PRIVATE": "true",
    "LEDGER_WEBHOOK_RETRY_BASE_MS": "100",
    "LEDGER_WEBHOOK_RETRY_MAX_MS": "500",
    "LEDGER_WEBHOOK_POLL_MS": "200",
    "LEDGER_STREAM_HEARTBEAT_MS": "500",
    "LEDGER_BREACH_WATCH_INTERVAL_MS": "3600000",
}


@pytest.fixture(scope="module")
def servers(database_url: str, pool) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = ServerProcess(database_url, env=ENV).start()
    b = ServerProcess(database_url, env=ENV).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@dataclass(frozen=True)
class Frame:
    id: int
    event: str
    data: dict


async def sse(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], pings: list[str] | None = None
) -> AsyncIterator[Frame]:
    """Frames of a `text/event-stream` response, as an EventSource would parse them."""
    async with http.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=30)) as r:
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in r.aiter_lines():
            if line.startswith(":"):
                if pings is not None:
                    pings.append(line)
                continue
            if line == "":
                if "data" in fields:
                    yield Frame(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                fields = {}
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


async def write_load(servers: tuple[ServerProcess, ...], tenant: Tenant, incidents: int, notes: int) -> int:
    """Concurrent writes through every server; returns how many events were answered 2xx."""
    answered = 0

    async def writer(n: int) -> None:
        nonlocal answered
        base = servers[n % len(servers)].base_url
        async with httpx.AsyncClient(base_url=base, timeout=15) as http:
            r = await http.post("/v1/incidents", json=detect_body(title=f"incident {n}"), headers=tenant.auth())
            assert r.status_code == 201, r.text
            answered += 1
            iid = r.json()["id"]
            for i in range(notes):
                r = await http.post(f"/v1/incidents/{iid}/notes", json={"text": f"{n}/{i}"}, headers=tenant.auth())
                assert r.status_code == 201, r.text
                answered += 1

    await asyncio.gather(*(writer(n) for n in range(incidents)))
    return answered


async def feed(base_url: str, tenant: Tenant) -> list[dict]:
    events: list[dict] = []
    after = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
        while True:
            page = (await http.get(f"/v1/events?after={after}&limit=1000", headers=tenant.auth("read"))).json()
            events += page["items"]
            if page["next"] is None:
                return events
            after = page["next"]


async def test_sse_gets_every_position_once_in_order_across_processes_and_a_reconnect(servers, pool):
    a, b = servers
    tenant = await new_tenant(pool, "live")
    seen: list[Frame] = []
    pings: list[str] = []
    half_way = asyncio.Event()

    async def consume() -> None:
        async with httpx.AsyncClient() as http:
            # First on A from the start, until a third of the load has arrived …
            async for frame in sse(http, f"{a.base_url}/v1/events/stream", tenant.auth("read"), pings):
                seen.append(frame)
                if len(seen) >= 60:
                    half_way.set()
                    break
            # … then the connection drops and the client resumes on B with Last-Event-ID.
            headers = {**tenant.auth("read"), "Last-Event-ID": str(seen[-1].id)}
            async for frame in sse(http, f"{b.base_url}/v1/events/stream?after=0", headers, pings):
                seen.append(frame)

    consumer = asyncio.create_task(consume())
    try:
        answered = await write_load(servers, tenant, incidents=6, notes=30)
        assert half_way.is_set()
        await wait_until(lambda: len(seen) >= answered, 30)
        await asyncio.sleep(1.2)  # long enough for a heartbeat, and for a duplicate to show up
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)

    stored = await feed(a.base_url, tenant)
    assert len(stored) == answered
    assert [f.id for f in seen] == list(range(1, answered + 1))  # every position, once, in order
    assert [f.data for f in seen] == stored  # each frame is the event as the API returns it
    assert all(f.event == f.data["type"] for f in seen)
    assert pings  # heartbeats while the stream waited


async def test_stream_resumes_after_a_position_and_refuses_a_bad_last_event_id(servers, pool):
    a, _ = servers
    tenant = await new_tenant(pool, "live")
    await write_load((a,), tenant, incidents=1, notes=4)
    async with httpx.AsyncClient() as http:
        frames = []
        async for frame in sse(http, f"{a.base_url}/v1/events/stream?after=2", tenant.auth("read")):
            frames.append(frame)
            if frame.id == 5:
                break
        assert [f.id for f in frames] == [3, 4, 5]
        r = await http.get(f"{a.base_url}/v1/events/stream", headers={**tenant.auth("read"), "Last-Event-ID": "x1"})
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


async def test_stream_access_matrix(servers, pool):
    """The live feed's row of tests/test_access_matrix.py: only the key's own tenant, from read up."""
    a, _ = servers
    mine, other, revoked = await new_tenant(pool, "live"), await new_tenant(pool, "live"), await new_tenant(pool)
    async with pool.acquire() as conn:
        await revoke_key(conn, revoked.name, "admin-key")
    await write_load((a,), mine, incidents=1, notes=0)
    await write_load((a,), other, incidents=1, notes=2)
    identities = {
        "none": ({}, 401),
        "wrong": ({"Authorization": "Bearer clk_" + "A" * 43}, 401),
        "revoked": (revoked.auth("admin"), 401),
        "read": (mine.auth("read"), 200),
        "write": (mine.auth("write"), 200),
        "admin": (mine.auth("admin"), 200),
        "other": (other.auth("read"), 200),
    }
    async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
        for name, (headers, status) in identities.items():
            if status != 200:
                r = await http.get("/v1/events/stream", headers=headers)
                assert r.status_code == status, name
                assert r.headers["content-type"].startswith("application/problem+json")
                continue
            async for frame in sse(http, "/v1/events/stream", headers):
                owner = other if name == "other" else mine
                first = (await feed(a.base_url, owner))[0]
                assert frame.data == first, name  # each key sees only its own tenant's feed
                assert mine.name not in json.dumps(frame.data) or name != "other"
                break


async def test_webhook_receiver_gets_everything_in_order_from_two_processes_despite_an_outage(servers, pool):
    a, _ = servers
    tenant = await new_tenant(pool, "live")
    fail_first = 3
    receiver = await Receiver(answer=lambda n, h, body: 503 if n <= fail_first else 200).start()
    try:
        async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
            r = await http.post("/v1/webhooks", json={"url": receiver.url}, headers=tenant.auth("admin"))
            assert r.status_code == 201, r.text
            receiver.secret = r.json()["secret"]
        load = asyncio.create_task(write_load(servers, tenant, incidents=4, notes=20))
        await wait_until(lambda: len(receiver.accepted) >= 10, 30)
        await receiver.stop()  # down for a while, mid-load
        await asyncio.sleep(1.5)
        await receiver.start(receiver.port)
        answered = await load
        await wait_until(lambda: len(receiver.accepted) >= answered, 60)
        await asyncio.sleep(0.5)  # nothing more may arrive

        stored = await feed(a.base_url, tenant)
        assert receiver.unverified == []
        delivered = [d.event for d in receiver.accepted]
        assert [e["position"] for e in delivered] == list(range(1, answered + 1))
        assert delivered == stored
        assert [d.status for d in receiver.attempts[:fail_first]] == [503] * fail_first
    finally:
        await receiver.stop()


async def test_concurrent_signals_across_processes_make_one_incident(servers, pool):
    tenant = await new_tenant(pool, "live")
    body = {"dedup_key": "viral-video", "title": "Video of rude staff", "severity": "sev2", "channel": "tiktok"}

    async def send(server: ServerProcess) -> httpx.Response:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
            return await http.post("/v1/signals", json=body, headers=tenant.auth())

    answers = await asyncio.gather(*(send(servers[i % 2]) for i in range(24)))
    assert sorted(r.status_code for r in answers) == [200] * 23 + [201]
    assert len({r.json()["incident"]["id"] for r in answers}) == 1
    count = await pool.fetchval("SELECT count(*) FROM incidents WHERE tenant_id = $1", tenant.name)
    assert count == 1


async def test_open_streams_end_cleanly_when_the_server_stops(database_url, pool):
    tenant = await new_tenant(pool, "live")
    server = ServerProcess(database_url, env=ENV).start()
    try:
        await write_load((server,), tenant, incidents=1, notes=1)
        ended = asyncio.Event()

        async def follow() -> list[Frame]:
            frames = []
            async with httpx.AsyncClient() as http:
                with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):
                    async for frame in sse(http, f"{server.base_url}/v1/events/stream", tenant.auth("read")):
                        frames.append(frame)
            ended.set()
            return frames

        reader = asyncio.create_task(follow())
        await asyncio.sleep(1)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        frames = await asyncio.wait_for(reader, 15)
        assert [f.id for f in frames] == [1, 2]
        assert await asyncio.to_thread(server.proc.wait, 15) is not None
    finally:
        server.stop()
