"""Many live feeds of one tenant in one process share their table reads and their frames
(ledger.feed.fanout): still every stream gets every event once, in order, across a gap and a resume."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from types import SimpleNamespace

from ledger.domain.commands import Detect, Note
from ledger.feed.fanout import Fanout
from ledger.http.stream import follow, frame_of
from ledger.service.command_runner import Done, Shell
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import new_tenant
from tests.test_feed_memory import CountingStore, _notifier

STREAMS = 40


async def _positions(frames, upto: int) -> list[int]:
    """The positions of the frames `frames` sends until it sent `upto` (heartbeats and hints skipped)."""
    got: list[int] = []
    while not got or got[-1] < upto:
        chunk = await asyncio.wait_for(anext(frames), 10)
        got += [int(line[4:]) for line in chunk.split(b"\n") if line.startswith(b"id: ")]
    return got


async def test_streams_of_one_tenant_share_reads_and_miss_or_repeat_nothing_across_a_gap_and_a_resume(pool):
    store = CountingStore(pool)
    tenant = await new_tenant(pool, "fanout")
    who = Principal(tenant.name, "write-key", Scope.WRITE)
    shell = Shell(store, PolicyStore(pool), clock.now)
    incident = uuid.uuid4()
    assert isinstance(
        await shell.execute(
            who, Detect(incident_id=incident, actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
        ),
        Done,
    )
    notifier, fanout = _notifier(), Fanout(frame_of)
    streams = [
        follow(store, notifier, who.tenant, 1, heartbeat_s=3600, poll_s=3600, fanout=fanout) for _ in range(STREAMS)
    ]
    try:
        for frames in streams:
            assert await anext(frames) == b"retry: 2000\n\n"
        # Commits this process hears of, then one it does not (another process's, its notification
        # on the way), then one it does: every stream must read across the gap, at the same position.
        store.on_append = notifier.announce
        await shell.execute(who, Note(incident_id=incident, actor="a", text="2"))
        store.on_append = None
        await shell.execute(who, Note(incident_id=incident, actor="a", text="3"))
        store.on_append = notifier.announce
        await shell.execute(who, Note(incident_id=incident, actor="a", text="4"))
        got = await asyncio.gather(*(_positions(frames, 2) for frames in streams))  # (held: no read)
        # The other process's notification comes (carrying nothing here): every stream stands at
        # position 2, where the run held in memory breaks, and reads the table.
        reads_before = store.reads
        notifier.wake(who.tenant)
        got = [a + b for a, b in zip(got, await asyncio.gather(*(_positions(f, 4) for f in streams)), strict=True)]
        assert all(positions == [2, 3, 4] for positions in got)
        # Far fewer reads than streams: they stood at one position and shared what was read.
        assert store.reads - reads_before < STREAMS / 2
    finally:
        for frames in streams:
            await frames.aclose()
    # A stream resumes where another left off (Last-Event-ID 4): nothing before, nothing twice.
    store.on_append = notifier.announce
    await shell.execute(who, Note(incident_id=incident, actor="a", text="5"))
    resumed = follow(store, notifier, who.tenant, 4, heartbeat_s=3600, poll_s=3600, fanout=fanout)
    try:
        assert await anext(resumed) == b"retry: 2000\n\n"
        assert await _positions(resumed, 5) == [5]
    finally:
        await resumed.aclose()


async def test_a_frame_is_rendered_once_for_every_stream():
    rendered: list[int] = []

    def render(event) -> bytes:
        rendered.append(event.position)
        return b"frame %d" % event.position

    fanout = Fanout(render, frames_bytes=1024)  # type: ignore[arg-type]
    event = SimpleNamespace(tenant_id="t", position=7)
    assert [fanout.frame(event) for _ in range(5)] == [b"frame 7"] * 5
    assert rendered == [7]


async def test_the_held_events_after_a_position_are_joined_once_for_every_stream_there():
    joins: list[int] = []
    fanout = Fanout(frame_of)
    held = [SimpleNamespace(position=p) for p in (8, 9)]

    def join(after: int):
        def joined():
            joins.append(after)
            return [(b"chunk after %d" % after, 9)], False

        return joined

    answers = [fanout.chunks("t", 7, held, (4096, 256), join(7)) for _ in range(5)]  # type: ignore[arg-type]
    assert answers == [([(b"chunk after 7", 9)], False)] * 5
    assert joins == [7]
    # Another position, another tenant, more events held or other sizes: joined anew.
    fanout.chunks("t", 8, held[1:], (4096, 256), join(8))  # type: ignore[arg-type]
    fanout.chunks("u", 7, held, (4096, 256), join(7))  # type: ignore[arg-type]
    fanout.chunks("t", 7, held[:1], (4096, 256), join(7))  # type: ignore[arg-type]
    fanout.chunks("t", 7, held, (8192, 512), join(7))  # type: ignore[arg-type]
    assert joins == [7, 8, 7, 7, 7]


async def test_a_read_begun_before_the_askers_wake_up_is_not_joined():
    fanout = Fanout(frame_of)
    release = asyncio.Event()
    calls: list[str] = []

    async def read(name: str) -> str:
        calls.append(name)
        await release.wait()
        return name

    first = asyncio.create_task(fanout.read("t", 3, 0.0, lambda: read("first")))
    await asyncio.sleep(0)
    joined = asyncio.create_task(fanout.read("t", 3, 0.0, lambda: read("joined")))
    since = time.monotonic() + 1  # (woken after the first read began)
    own = asyncio.create_task(fanout.read("t", 3, since, lambda: read("own")))
    await asyncio.sleep(0)
    release.set()
    assert (await first, await joined, await own) == ("first", "first", "own")
    assert calls == ["first", "own"]


async def test_a_stream_leaving_does_not_cancel_the_read_the_others_wait_for():
    fanout = Fanout(frame_of)
    release = asyncio.Event()

    async def read() -> int:
        await release.wait()
        return 42

    leaving = asyncio.create_task(fanout.read("t", 0, 0.0, read))
    staying = asyncio.create_task(fanout.read("t", 0, 0.0, read))
    await asyncio.sleep(0)
    leaving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    release.set()
    assert await staying == 42 and fanout.reads == 1


async def test_the_polls_of_a_tenants_streams_fall_due_together_and_share_one_read(pool):
    store = CountingStore(pool)
    tenant = await new_tenant(pool, "polls")
    notifier, fanout = _notifier(), Fanout(frame_of)
    streams = []
    try:
        for _ in range(STREAMS):
            streams.append(follow(store, notifier, tenant.name, 0, heartbeat_s=3600, poll_s=0.2, fanout=fanout))
            assert await anext(streams[-1]) == b"retry: 2000\n\n"
            await asyncio.sleep(0.01)  # (connected at different moments, as clients are)
        pending = [asyncio.ensure_future(anext(frames)) for frames in streams]  # (nothing to send: they wait)
        await asyncio.sleep(0.1)
        reads_before = store.reads
        await asyncio.sleep(1.0)
        polls = store.reads - reads_before
        # About five polls in a second, each one read for all the streams (one each: STREAMS * 5).
        assert 3 <= polls <= 8, polls
        assert not any(p.done() for p in pending)
        for p in pending:
            p.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        for frames in streams:
            await frames.aclose()
