"""The live feed reads and sends by bytes: table pages bounded by a running size, frames joined
into bounded chunks, and a stream that never holds more than its budget — with nothing skipped or
repeated — and that ends with a last message when its outbox is ended."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest

from ledger.domain.commands import Detect, Note
from ledger.feed import notifier as notify
from ledger.http.sse import MIN_BUDGET, REVOKED, Outbox
from ledger.http.stream import FRAME_OVERHEAD, chunks, follow, render
from ledger.service.command_runner import Done, Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Severity
from tests import clock
from tests.conftest import new_tenant

SIZES = [15_000, 40, 15_000, 15_000, 3_000, 200, 15_000, 15_000, 60_000, 15_000] * 6


async def _never() -> asyncpg.Connection:
    raise AssertionError("not connected in this test")


async def _release(_conn: asyncpg.Connection) -> None:
    return None


@pytest.fixture(scope="module")
async def tenant(pool: asyncpg.Pool) -> str:
    """A tenant whose notes have the sizes of SIZES, by an actor with a long name."""
    t = await new_tenant(pool, "pages")
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell = Shell(EventStore(pool), PolicyStore(pool), clock.now)
    incident = uuid.uuid4()
    detect = Detect(incident_id=incident, actor="a" * 120, title="t", severity=Severity.SEV2, channel=Channel.X)
    assert isinstance(await shell.execute(who, detect), Done)
    for i, size in enumerate(SIZES):
        note = Note(incident_id=incident, actor="b" * 120 + str(i), text=("é" * size)[:size])
        assert isinstance(await shell.execute(who, note), Done)
    return t.name


async def test_a_table_page_stays_within_its_bytes_and_says_whether_more_wait(pool, tenant):
    store = EventStore(pool)
    sizes = {
        r["position"]: r["size"] + FRAME_OVERHEAD
        for r in await pool.fetch(
            "SELECT position, octet_length(data::text) AS size FROM events WHERE tenant_id = $1", tenant
        )
    }
    last, after, pages = len(sizes), 0, 0
    while after < last:
        events, more = await store.read_feed_page(tenant, after, 7, 40_000, FRAME_OVERHEAD)
        positions = [e.position for e in events]
        assert positions == list(range(after + 1, after + 1 + len(positions))) and len(positions) <= 7
        assert len(positions) == 1 or sum(sizes[p] for p in positions) <= 40_000
        after, pages = positions[-1], pages + 1
        assert more == (after < last)
    assert pages > len(sizes) / 7  # (cut by bytes, not only by count)
    assert (await store.read_feed_page(tenant, last, 7, 40_000, FRAME_OVERHEAD)) == ([], False)
    alone, more = await store.read_feed_page(tenant, 9, 7, 10, FRAME_OVERHEAD)  # (60 KB: larger than asked)
    assert [e.position for e in alone] == [10] and more


async def test_an_event_renders_to_at_most_its_stored_data_and_the_overhead(pool, tenant):
    rows = await pool.fetch(
        "SELECT position, octet_length(data::text) AS size FROM events WHERE tenant_id = $1 ORDER BY position", tenant
    )
    events = await EventStore(pool).read_feed(tenant, 0, 1000)
    frames, cut = render(events, 1 << 30)
    assert not cut and [p for p, _ in frames] == [r["position"] for r in rows]
    for (_, frame), row in zip(frames, rows, strict=True):
        assert len(frame) <= row["size"] + FRAME_OVERHEAD


async def test_frames_join_into_bounded_chunks_in_order(pool, tenant):
    events = await EventStore(pool).read_feed(tenant, 0, 1000)
    frames, _ = render(events, 1 << 30)
    whole = b"".join(f for _, f in frames)
    out = list(chunks(frames, 32_000))
    assert not frames  # (taken as they were joined)
    assert b"".join(c for c, _ in out) == whole
    assert all(len(c) <= 32_000 or c.count(b"\nevent: ") == 1 for c, _ in out)  # (or one larger frame alone)
    assert [p for _, p in out] == sorted(p for _, p in out) and out[-1][1] == len(events)
    kept, cut = render(events, 50_000)
    assert cut and 0 < sum(len(f) for _, f in kept) <= 50_000


async def test_a_stream_holds_at_most_its_budget_and_sends_everything_once(pool, tenant):
    store = EventStore(pool)
    box = Outbox(MIN_BUDGET, sent=0)
    frames = follow(store, notify.Notifier(_never, _release), tenant, 0, heartbeat_s=3600, poll_s=3600, outbox=box)
    received = bytearray()
    try:
        assert await anext(frames) == b"retry: 2000\n\n"
        while b"id: %d\n" % (len(SIZES) + 1) not in received:
            chunk = await asyncio.wait_for(anext(frames), 10)
            assert len(chunk) <= box.chunk_bytes or chunk.count(b"\nevent: ") == 1
            received += chunk
    finally:
        await frames.aclose()
    ids = [int(line[4:]) for line in bytes(received).split(b"\n") if line.startswith(b"id: ")]
    assert ids == list(range(1, len(SIZES) + 2))
    # (one event larger than the budget, the 60,000 "é" note, is held alone: the only way past it)
    largest = max(len(f) for _, f in render(await store.read_feed(tenant, 0, 1000), 1 << 30)[0])
    assert largest > box.budget and 0 < box.peak <= largest and box.held == 0


async def test_an_ended_outbox_ends_the_stream_with_its_last_message(pool, tenant):
    box = Outbox(sent=0)
    notifier = notify.Notifier(_never, _release)
    frames = follow(EventStore(pool), notifier, tenant, len(SIZES) + 1, heartbeat_s=3600, poll_s=3600, outbox=box)
    assert await anext(frames) == b"retry: 2000\n\n"
    waiting = asyncio.ensure_future(anext(frames))  # (nothing new: it waits for a wake-up)
    await asyncio.sleep(0.1)
    assert not waiting.done()
    box.end(REVOKED)
    last = await asyncio.wait_for(waiting, 5)
    assert last.startswith(b"event: revoked\ndata: ") and b"\nid:" not in last
    assert "revoked" in json.loads(last.split(b"data: ", 1)[1])["reason"]
    with pytest.raises(StopAsyncIteration):
        await anext(frames)
