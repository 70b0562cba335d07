"""The live feed's memory budget, its drop of clients that stop reading, and revocation — against a
real server process (granian, as `serve` runs it), with clients on real sockets.

A client that never reads (a raw socket with a tiny receive buffer) fills its connection; the
stream then holds at most its budget of unsent bytes (the server's own counter, read from
/metrics), and is dropped after LEDGER_STREAM_MAX_LAG_S with a last `event: dropped` that says
where to resume — and resuming there loses and repeats nothing. A normal reader meanwhile gets
every event once, in order. A revoked key's open stream ends within 2 s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from functools import partial

import httpx
import psutil
import pytest

from ledger.domain.commands import Detect, Note
from ledger.service.command_runner import Done, Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope, revoke_key
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import Tenant, new_tenant
from tests.processes import ServerProcess
from tests.test_crisis_room_http import sign_in

BUDGET = 256 * 1024
MAX_LAG_S = 2
NOTES = 2_000  # of 15 KB each: 30 MB of history
LAST = NOTES + 20  # (and a detection per incident)
TOKEN = "metrics-" + uuid.uuid4().hex
ENV = {
    "LEDGER_STREAM_BUFFER_BYTES": str(BUDGET),
    "LEDGER_STREAM_MAX_LAG_S": str(MAX_LAG_S),
    "LEDGER_METRICS_TOKEN": TOKEN,
    "LEDGER_BREACH_WATCH_INTERVAL_MS": "3600000",
}


@pytest.fixture(scope="module")
def server(database_url: str, pool) -> Iterator[ServerProcess]:
    s = ServerProcess(database_url, env=ENV).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
async def history(pool) -> Tenant:
    """A tenant with NOTES notes of 15 KB over 20 incidents (written in this process: the server
    reads them from the table, as a reconnecting client's replay does)."""
    tenant = await new_tenant(pool, "budget")
    who = Principal(tenant.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)

    async def incident(n: int) -> None:
        done = await shell.execute(
            who,
            Detect(incident_id=uuid.uuid4(), actor="ayse", title=f"i{n}", severity=Severity.SEV2, channel=Channel.X),
        )
        assert isinstance(done, Done)
        for i in range(NOTES // 20):
            text = f"{n}/{i} " + "lorem ipsum dolor " * 833
            assert isinstance(
                await shell.execute(who, Note(incident_id=done.incident.id, actor="ayse", text=text)), Done
            )

    await asyncio.gather(*(incident(n) for n in range(20)))
    return tenant


async def scrape(server: ServerProcess) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        r = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    values = {}
    for line in r.text.splitlines():
        if line.startswith("ledger_stream") and " " in line:
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def dropped(metrics: dict[str, float]) -> float:
    return metrics.get('ledger_streams_ended_total{reason="dropped"}', 0.0)


def worker_rss(server: ServerProcess) -> int:
    assert server.proc is not None
    main = psutil.Process(server.proc.pid)
    return sum(p.memory_info().rss for p in [main, *main.children(recursive=True)])


def stalled_client(server: ServerProcess, tenant: Tenant, last_event_id: int | None = None) -> socket.socket:
    """A client that asks for the whole feed and then reads nothing, with a 4 KB receive buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    resume = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
    sock.sendall(
        f"GET /v1/events/stream HTTP/1.1\r\nHost: ledger\r\n"
        f"Authorization: {tenant.auth('read')['Authorization']}\r\n{resume}\r\n".encode()
    )
    return sock


def read_all(sock: socket.socket, seconds: float) -> bytes:
    """What the client was sent, until the response's end (or `seconds` of silence)."""
    sock.settimeout(seconds)
    data = bytearray()
    try:
        while not data.endswith(b"\r\n0\r\n\r\n"):
            more = sock.recv(1 << 20)
            if not more:
                break
            data += more
    except TimeoutError:
        pass
    return bytes(data)


def sse_messages(response: bytes) -> list[tuple[str | None, str, str]]:
    """(id, event, data) of each message of a chunked `text/event-stream` response."""
    head_end = response.index(b"\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 200"), response[:200]
    body, rest = bytearray(), response[head_end + 4 :]
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body += rest[:size]
        rest = rest[size + 2 :]
    messages = []
    for block in bytes(body).decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":") and ": " in line)
        if "data" in fields:
            messages.append((fields.get("id"), fields.get("event", "message"), fields["data"]))
    return messages


async def sse(
    url: str, headers: dict[str, str], cookies: httpx.Cookies | None = None
) -> AsyncIterator[tuple[str | None, str, str]]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30), cookies=cookies) as http:
        async with http.stream("GET", url, headers=headers) as r:
            assert r.status_code == 200, await r.aread()
            fields: dict[str, str] = {}
            async for line in r.aiter_lines():
                if line == "":
                    if "data" in fields:
                        yield fields.get("id"), fields.get("event", "message"), fields["data"]
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value


async def read_to(server: ServerProcess, tenant: Tenant, last: int, after: int | None = None) -> list[int]:
    headers = {**tenant.auth("read"), **({"Last-Event-ID": str(after)} if after is not None else {})}
    ids = []
    async for event_id, _, _ in sse(f"{server.base_url}/v1/events/stream", headers):
        ids.append(int(event_id or 0))
        if ids[-1] >= last:
            return ids
    return ids


async def wait_for(condition, seconds: float) -> float:
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < seconds, "timed out"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_clients_that_stop_reading_hold_at_most_the_budget_and_are_dropped(server, history):
    last = LAST
    # A normal reader first: every event once, in order (and the worker warmed up by it).
    assert await read_to(server, history, last) == list(range(1, last + 1))
    before, rss_before = await scrape(server), worker_rss(server)
    stalled = [stalled_client(server, history) for _ in range(6)]
    try:
        # Meanwhile, another normal reader is not held up by them.
        assert await read_to(server, history, last) == list(range(1, last + 1))
        rss_during = worker_rss(server)

        async def all_dropped() -> bool:
            return dropped(await scrape(server)) >= dropped(before) + len(stalled)

        await wait_for(all_dropped, MAX_LAG_S + 30)

        # (the gauge of the bytes held is written at most a second after they changed)
        async def released() -> bool:
            return (await scrape(server))["ledger_stream_buffered_bytes"] <= before["ledger_stream_buffered_bytes"]

        await wait_for(released, 5)
        after = await scrape(server)
    finally:
        for sock in stalled:
            sock.close()
    assert after["ledger_stream_buffered_bytes_peak"] <= BUDGET
    # Six streams over 30 MB of history: without the budget each held pages of 500 events
    # (7.5 MB) in the server's queue several times over; now each holds less than a megabyte.
    assert rss_during - rss_before < 64 * 1024 * 1024, (rss_before, rss_during)


async def test_a_dropped_client_is_told_where_to_resume_and_resuming_there_loses_nothing(server, history):
    last = LAST
    before = dropped(await scrape(server))
    sock = stalled_client(server, history)
    try:

        async def was_dropped() -> bool:
            return dropped(await scrape(server)) > before

        await wait_for(was_dropped, MAX_LAG_S + 30)
        # The client reads again (within the seconds the server waits for its last message to go).
        messages = sse_messages(await asyncio.to_thread(read_all, sock, 5))
    finally:
        sock.close()
    *events, (no_id, kind, data) = messages
    ids = [int(e[0] or 0) for e in events]
    assert ids == list(range(1, len(ids) + 1)) and 0 < len(ids) < last
    assert (no_id, kind) == (None, "dropped")
    said = json.loads(data)
    assert said["resume"] == f"reconnect with Last-Event-ID: {ids[-1]}" and "read nothing" in said["reason"]
    assert await read_to(server, history, last, after=ids[-1]) == list(range(ids[-1] + 1, last + 1))


async def _revoked_within(server: ServerProcess, pool, revoke, *, web: bool = False) -> float:
    """Seconds from `revoke(tenant)` to the end of the read key's open live feed (`web`: the
    crisis room's, on a session signed in with that key), which must end with `event: revoked`."""
    tenant = await new_tenant(pool, "revoke")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        body = {"title": "t", "severity": "sev2", "channel": "x"}
        r = await http.post("/v1/incidents", json=body, headers=tenant.auth())
        assert r.status_code == 201, r.text
        if web:
            await sign_in(http, tenant.keys["read"])
        cookies = httpx.Cookies(http.cookies)
    url, headers = (
        (f"{server.base_url}/live", {}) if web else (f"{server.base_url}/v1/events/stream", tenant.auth("read"))
    )
    seen: list[tuple[str | None, str, str]] = []
    first = asyncio.Event()

    async def follow() -> None:
        async for message in sse(url, headers, cookies):
            seen.append(message)
            first.set()

    reader = asyncio.create_task(follow())
    try:
        await asyncio.wait_for(first.wait(), 10)
        started = time.monotonic()
        await revoke(tenant)
        await asyncio.wait_for(reader, 10)
        took = time.monotonic() - started
    finally:
        reader.cancel()
    assert [m[1] for m in seen] == ["detected", "revoked"]
    assert seen[-1][0] is None and "revoked" in json.loads(seen[-1][2])["reason"]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10, cookies=cookies) as http:
        assert (await http.get(url, headers=headers)).status_code == 401
    return took


async def _revoke(pool, tenant: Tenant) -> None:
    async with pool.acquire() as conn:  # (as `crisis-ledger keys revoke` does, in another process)
        await revoke_key(conn, tenant.name, "read-key")


async def test_revoking_a_key_ends_its_open_streams_within_two_seconds(server, pool):
    assert await _revoked_within(server, pool, partial(_revoke, pool)) < 2


async def test_revoking_a_key_ends_the_crisis_rooms_live_view_of_its_session_within_two_seconds(server, pool):
    assert await _revoked_within(server, pool, partial(_revoke, pool), web=True) < 2


async def test_a_revocation_whose_notice_is_lost_still_ends_the_streams_within_two_seconds(server, pool):
    async def revoke_quietly(tenant: Tenant) -> None:  # (no NOTIFY: the server's check every second finds it)
        await pool.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND name = 'read-key'", tenant.name
        )

    assert await _revoked_within(server, pool, revoke_quietly) < 2
