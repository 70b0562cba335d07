"""Streams at the head of their tenant's feed park (ledger.feed.notifier.Notifier.park): a wake-up
sends them what is new in one pass through the server's own send, without waking their tasks;
everything else goes back to each stream's task (ledger.http.stream._send_parked). Still every
stream gets every event once, in order: across a gap, and beside a client whose send the server
does not take at once, which delays nobody else."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

from ledger.domain.commands import Detect, Note
from ledger.feed.fanout import Fanout
from ledger.feed.notifier import Notifier
from ledger.http.sse import Outbox
from ledger.http.stream import follow, frame_of
from ledger.service.command_runner import Done, Shell
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import new_tenant
from tests.test_feed_memory import CountingStore, _never, _notifier, _release

STREAMS = 12
_ID = re.compile(rb"(?m)^id: (\d+)$")


class Taken:
    """What granian's send answers when the response's queue had room: an awaitable, finished."""

    def __await__(self):  # type: ignore[no-untyped-def]
        return iter(())


class Server:
    """One stream's server side: what its own send was given (`direct`), and what its task sent."""

    def __init__(self) -> None:
        self.direct: list[int] = []
        self.by_task: list[int] = []
        self.slow: asyncio.Future[None] | None = None  # (set: the next direct send is not taken at once)

    def send(self, message: dict) -> object:
        self.direct += [int(p) for p in _ID.findall(message["body"])]
        if self.slow is not None:
            return self.slow
        return Taken()

    def positions(self) -> list[int]:
        return sorted(self.direct + self.by_task)


async def _run(frames, server: Server) -> None:
    async for chunk in frames:
        server.by_task += [int(p) for p in _ID.findall(chunk)]


async def _until(condition, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  (a condition over many streams)
            await asyncio.sleep(0.005)


async def _one_incident(pool, name: str) -> tuple[CountingStore, Shell, Principal, uuid.UUID]:
    """A new tenant with one incident (position 1), its store, shell and writer."""
    store = CountingStore(pool)
    tenant = await new_tenant(pool, name)
    who = Principal(tenant.name, "write-key", Scope.WRITE)
    shell = Shell(store, PolicyStore(pool), clock.now)
    incident = uuid.uuid4()
    detect = Detect(incident_id=incident, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
    assert isinstance(await shell.execute(who, detect), Done)
    return store, shell, who, incident


def _follow_all(
    store: CountingStore, notifier: Notifier, tenant: str, servers: list[Server]
) -> tuple[list[Outbox], list[asyncio.Task[None]]]:
    """A stream of the tenant after position 1 for each server, sending through its `send`."""
    fanout = Fanout(frame_of)
    boxes = [Outbox(sent=1) for _ in servers]
    for box, server in zip(boxes, servers, strict=True):
        box.direct = server.send  # type: ignore[assignment]
    tasks = [
        asyncio.create_task(
            _run(follow(store, notifier, tenant, 1, heartbeat_s=3600, poll_s=3600, outbox=box, fanout=fanout), s)
        )
        for box, s in zip(boxes, servers, strict=True)
    ]
    return boxes, tasks


async def test_parked_streams_are_sent_in_one_pass_and_a_slow_one_delays_nobody(pool):
    store, shell, who, incident = await _one_incident(pool, "parked")
    notifier, servers = _notifier(), [Server() for _ in range(STREAMS)]
    boxes, tasks = _follow_all(store, notifier, who.tenant, servers)
    try:
        await _until(lambda: notifier.parked(who.tenant) == STREAMS)
        # Held commits: sent by the pass, through each stream's own send; no task woke to send.
        store.on_append = notifier.announce
        for text in ("2", "3"):
            await shell.execute(who, Note(incident_id=incident, actor="a", text=text))
        await _until(lambda: all(s.positions() == [2, 3] for s in servers))
        assert all(s.by_task == [] for s in servers)
        assert [box.sent for box in boxes] == [3] * STREAMS
        # One client's send is not taken at once: its task waits for it; the others go on.
        slow = servers[0]
        slow.slow = asyncio.get_running_loop().create_future()
        await _until(lambda: notifier.parked(who.tenant) == STREAMS)
        await shell.execute(who, Note(incident_id=incident, actor="a", text="4"))
        await _until(lambda: boxes[0].pending is None and all(s.positions() == [2, 3, 4] for s in servers))
        assert boxes[0].sent == 3  # (not taken yet: a drop now would resume after 3)
        await shell.execute(who, Note(incident_id=incident, actor="a", text="5"))
        await _until(lambda: all(s.positions() == [2, 3, 4, 5] for s in servers[1:]))
        assert slow.positions() == [2, 3, 4] and boxes[0].sent == 3
        slow.slow.set_result(None)
        slow.slow = None
        await _until(lambda: slow.positions() == [2, 3, 4, 5])
        # A gap (a commit this process does not hear of, then one it does): every stream's task
        # reads the table, and nobody misses or repeats a position.
        store.on_append = None
        await shell.execute(who, Note(incident_id=incident, actor="a", text="6"))
        store.on_append = notifier.announce
        await shell.execute(who, Note(incident_id=incident, actor="a", text="7"))
        await _until(lambda: all(s.positions() == [2, 3, 4, 5, 6, 7] for s in servers))
        assert all(s.by_task for s in servers)  # (read by each stream's task, across the gap)
        assert all(sorted(set(s.positions())) == s.positions() for s in servers)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert notifier.parked(who.tenant) == 0


class Timed(Server):
    """A server that notes when each body came and what it held."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[tuple[float, list[int]]] = []

    def send(self, message: dict) -> object:
        self.bodies.append((time.monotonic(), [int(p) for p in _ID.findall(message["body"])]))
        return super().send(message)


async def test_a_tenant_with_many_parked_streams_is_paced_and_its_events_sent_together(pool):
    """Under a steady load, hundreds of streams would each be sent one or two events per wake-up:
    the wake-ups that come within the tenant's pace after a pass wait for its end and are sent
    in one body per stream. The first after a quiet spell is sent at once."""
    pace = 2.0
    store, shell, who, incident = await _one_incident(pool, "paced")
    # (the whole pace once STREAMS streams are parked)
    notifier = Notifier(_never, _release, pace_s=pace, paced_streams=STREAMS)
    servers = [Timed() for _ in range(STREAMS)]
    _, tasks = _follow_all(store, notifier, who.tenant, servers)
    try:
        await _until(lambda: notifier.parked(who.tenant) == STREAMS)
        store.on_append = notifier.announce
        asked = time.monotonic()
        await shell.execute(who, Note(incident_id=incident, actor="a", text="2"))
        await _until(lambda: all(s.positions() == [2] for s in servers))
        first = [s.bodies[0][0] for s in servers]
        assert max(first) - asked < pace / 2  # (at once: no pass came before it)
        for text in ("3", "4"):  # (within the pace after that pass)
            await shell.execute(who, Note(incident_id=incident, actor="a", text=text))
        await _until(lambda: all(s.positions() == [2, 3, 4] for s in servers), seconds=3 * pace)
        for server in servers:
            assert [positions for _, positions in server.bodies] == [[2], [3, 4]]
            assert server.bodies[1][0] - server.bodies[0][0] >= pace * 0.9
        assert all(s.by_task == [] for s in servers)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert notifier.parked(who.tenant) == 0
