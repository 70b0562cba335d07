"""The live feed sends the tenant's latest commits from memory when it holds them in an unbroken
run after the last position it sent (its own process's commits, and what other processes'
notifications carried), and they are exactly what the table gives; anything else is read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta, timezone

import asyncpg
import msgspec

from ledger.domain.commands import Acknowledge, ChangePolicy, Detect, Note, Reply, Resolve
from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.feed import notifier as notify
from ledger.feed import payloads as wire
from ledger.http.stream import follow
from ledger.service.command_runner import Done, Shell
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from projections.renders import event_out
from schemas.events import Channel, Event, Noted, Severity, Visibility
from tests import clock
from tests.conftest import new_tenant

_json = msgspec.json.Encoder()


async def _never() -> asyncpg.Connection:
    raise AssertionError("not connected in this test")


async def _release(_conn: asyncpg.Connection) -> None:
    return None


def _notifier() -> notify.Notifier:
    return notify.Notifier(_never, _release)


class CountingStore(EventStore):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self.reads = 0

    async def read_feed_page(
        self, tenant: str, after: int, limit: int, max_bytes: int, overhead: int
    ) -> tuple[list[Event], bool]:
        self.reads += 1
        return await super().read_feed_page(tenant, after, limit, max_bytes, overhead)


async def _history(pool: asyncpg.Pool, store: EventStore) -> tuple[Principal, Shell, list[Event]]:
    """A tenant with one incident's life; returns the events as the appends handed them on."""
    t = await new_tenant(pool, "tail")
    who = Principal(t.name, "write-key", Scope.WRITE)
    shell = Shell(store, PolicyStore(pool), clock.now)
    handed_on: list[Event] = []
    store.on_append = lambda tenant, events: handed_on.extend(events or [])
    done = await shell.execute(
        who, Detect(incident_id=uuid.uuid4(), actor="ayse", title="t", severity=Severity.SEV2, channel=Channel.X)
    )
    assert isinstance(done, Done)
    incident = done.incident.id
    plus_two = clock.now().astimezone(timezone(timedelta(hours=2))) + timedelta(seconds=1)
    for cmd in (
        Acknowledge(incident_id=incident, actor="ayse", occurred_at=plus_two),
        Reply(incident_id=incident, actor="ayse", channel=Channel.X, text='on it ✓ "q"', visibility=Visibility.PUBLIC),
        Note(incident_id=incident, actor="ayse", text="line\nbreak"),
        Resolve(incident_id=incident, actor="ayse", summary="done"),
    ):
        assert isinstance(await shell.execute(who, cmd), Done)
    store.on_append = None
    return who, shell, handed_on


def _rendered(events: list[Event]) -> list[bytes]:
    return [_json.encode(event_out(e)) for e in events]


async def test_events_held_here_or_carried_by_a_notification_render_exactly_as_the_table_gives_them(pool):
    store = EventStore(pool)
    who, _, local = await _history(pool, store)
    stored = await store.read_feed(who.tenant, 0, 100)
    assert [e.position for e in stored] == [1, 2, 3, 4, 5]
    assert _rendered(local) == _rendered(stored)
    payloads = [wire.decode_payload(p) for p in wire.payloads("elsewhere", who.tenant, local)]
    carried = [change.event(who.tenant) for message in payloads for change in message.changes]
    assert all(e is not None for e in carried)
    assert _rendered(carried) == _rendered(stored)  # type: ignore[arg-type]
    # From a process that sends only what a state cache folds: nothing to send from memory.
    short = wire.Change(*msgspec.structs.astuple(payloads[0].changes[0])[:5])
    assert short.event(who.tenant) is None
    unknown = msgspec.structs.replace(payloads[0].changes[0], type="from_a_newer_version")
    assert unknown.event(who.tenant) is None


async def test_recent_is_an_unbroken_run_after_the_position_and_held_only_while_followed(pool):
    store = EventStore(pool)
    who, _, events = await _history(pool, store)
    t = who.tenant
    here, there = _notifier(), _notifier()
    here.announce(t, events[:2])
    with here.subscribe(t):
        assert here.recent(t, 0, 10) == []  # (committed before anyone followed: not held)
        here.announce(t, events[:2])
        assert here.recent(t, 0, 10) == events[:2]
        (theirs,) = wire.payloads(there.origin, t, events[3:])
        here._on_notify(None, 0, notify.CHANNEL, theirs)
        assert here.recent(t, 0, 10) == events[:2]  # position 3 is not held: the rest waits for the table
        assert _rendered(here.recent(t, 3, 10)) == _rendered(events[3:])
        here.announce(t, events[2:3])
        assert _rendered(here.recent(t, 0, 10)) == _rendered(events)
        assert here.recent(t, 0, 2) == events[:2]
        assert here.recent(t, 5, 10) == []
        assert here.recent("another-tenant", 0, 10) == []
    assert here.recent(t, 0, 10) == []  # nobody follows it any more: dropped


async def test_an_event_too_large_for_a_notification_is_not_held(pool):
    store = EventStore(pool)
    who, _, events = await _history(pool, store)
    here = _notifier()
    large = msgspec.structs.replace(events[3], data=Noted(text="x" * (wire.PAYLOAD_BYTES + 1)))
    with here.subscribe(who.tenant):
        here.announce(who.tenant, [*events[:3], large, events[4]])
        assert here.recent(who.tenant, 0, 10) == events[:3]  # the feed reads position 4 from the table
        assert here.recent(who.tenant, 4, 10) == [events[4]]


async def test_a_policy_change_is_not_held_the_feed_reads_it_as_the_table_orders_it(pool):
    """A policy document comes back from jsonb with its keys in jsonb's order, not the writer's:
    only the table's rendering is the feed's."""
    store = CountingStore(pool)
    who, _, _ = await _history(pool, store)
    notifier = _notifier()
    admin = Principal(who.tenant, "admin-key", Scope.ADMIN)
    frames = follow(store, notifier, who.tenant, 5, heartbeat_s=3600, poll_s=3600)
    try:
        assert await anext(frames) == b"retry: 2000\n\n"
        store.on_append = notifier.announce
        document = policy_to_dict(DEFAULT_POLICY)
        await Shell(store, PolicyStore(pool), clock.now).change_policy(
            admin, ChangePolicy(actor=admin.name, document=document)
        )
        assert notifier.recent(who.tenant, 5, 10) == []
        frame = await asyncio.wait_for(anext(frames), 5)
        (stored,) = await EventStore(pool).read_feed(who.tenant, 5, 10)
        assert frame == b"id: 6\nevent: policy_changed\ndata: %s\n\n" % _json.encode(event_out(stored))
        assert store.reads == 1  # (from the table)
    finally:
        await frames.aclose()


async def test_what_is_held_per_tenant_is_bounded(pool):
    store = EventStore(pool)
    who, _, events = await _history(pool, store)
    here = _notifier()
    many = [msgspec.structs.replace(events[-1], position=p) for p in range(1, 3 * notify.TAIL_EVENTS + 1)]
    with here.subscribe(who.tenant):
        for i in range(0, len(many), 100):
            here.announce(who.tenant, many[i : i + 100])
        assert len(here._tails[who.tenant]) <= 2 * notify.TAIL_EVENTS
        newest = len(many)
        assert here.recent(who.tenant, newest - notify.TAIL_EVENTS, 10_000) == many[-notify.TAIL_EVENTS :]
        assert here.recent(who.tenant, 0, 10) == []  # long gone: the table has them


async def test_the_live_feed_sends_what_it_holds_without_reading_and_reads_across_a_gap(pool):
    store = CountingStore(pool)
    who, shell, events = await _history(pool, store)
    notifier = _notifier()
    frames = follow(store, notifier, who.tenant, 0, heartbeat_s=3600, poll_s=3600)
    incident = events[0].incident_id
    assert incident is not None
    try:
        assert await anext(frames) == b"retry: 2000\n\n"
        caught_up = await anext(frames)  # the catch-up: read from the table
        assert caught_up.count(b"\nevent: ") == 5 and store.reads == 1
        store.on_append = notifier.announce
        await shell.execute(who, Note(incident_id=incident, actor="ayse", text="live"))
        live = await asyncio.wait_for(anext(frames), 5)
        assert live.startswith(b"id: 6\nevent: noted\n") and b'"text":"live"' in live
        assert store.reads == 1  # sent from memory
        # A commit this process never heard of (another process's, its notification still on the
        # way), then one of its own: the run from position 6 is broken, so the feed reads.
        store.on_append = None
        await shell.execute(who, Note(incident_id=incident, actor="b", text="not heard of"))
        store.on_append = notifier.announce
        await shell.execute(who, Note(incident_id=incident, actor="ayse", text="heard of"))
        both = await asyncio.wait_for(anext(frames), 5)
        assert both.startswith(b"id: 7\n") and b"\nid: 8\n" in both
        assert store.reads == 2
        stored = await EventStore(pool).read_feed(who.tenant, 5, 10)
        assert caught_up + live + both == b"".join(
            b"id: %d\nevent: %s\ndata: %s\n\n" % (e.position, e.type.encode(), _json.encode(event_out(e)))
            for e in await EventStore(pool).read_feed(who.tenant, 0, 10)
        )
        assert [e.position for e in stored] == [6, 7, 8]
    finally:
        await frames.aclose()
