"""The decider states the shell keeps in the process's fold cache: they save a read, and they are
never believed blindly.

Two `Shell`s on one database stand for two server processes, each with its own fold cache. Each
process's shell also folds what the others committed, from their notifications (ledger.feed.notifier).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta, timezone
from functools import partial

import asyncpg
import msgspec
import pytest

from ledger.domain.commands import Acknowledge, ChangePolicy, Detect, Note, Reopen, Reply, Resolve
from ledger.domain.errors import ActionNotAllowed, VersionConflict
from ledger.domain.plan import DEFAULT_POLICY, policy_to_dict
from ledger.domain.rules import Incident, fold
from ledger.feed import notifier as notify
from ledger.feed import payloads as wire
from ledger.feed.payloads import Change
from ledger.http.app import _learn
from ledger.service.command_runner import Done, Shell
from ledger.store import policies as policy_store
from ledger.store.appends import Appended, Conflict
from ledger.store.events import EventStore
from ledger.store.keys import Principal, Scope
from ledger.store.policies import PolicyStore
from schemas.events import Channel, Event, NewEvent, Noted, PolicyChanged, Severity, Visibility, data_dict
from tests import clock
from tests.conftest import new_tenant


def _shell(pool: asyncpg.Pool) -> Shell:
    return Shell(EventStore(pool), PolicyStore(pool), clock.now)


def _held(shell: Shell, tenant: str, incident: uuid.UUID) -> Incident | None:
    """The decider state the shell's fold cache holds of the incident."""
    held = shell.folds.peek(tenant, incident)
    return held.state if held is not None else None


async def _setup(pool: asyncpg.Pool) -> tuple[Principal, Shell, Shell, uuid.UUID]:
    t = await new_tenant(pool)
    who = Principal(t.name, "write-key", Scope.WRITE)
    one, two = _shell(pool), _shell(pool)
    cmd = Detect(incident_id=uuid.uuid4(), actor="ayse", title="t", severity=Severity.SEV2, channel=Channel.X)
    done = await one.execute(who, cmd)
    assert isinstance(done, Done)
    return who, one, two, done.incident.id


async def _stored(shell: Shell, who: Principal, incident: uuid.UUID):
    return fold(await shell.store.read_stream(who.tenant, incident))


async def _versions(pool: asyncpg.Pool, who: Principal, incident: uuid.UUID) -> list[int]:
    rows = await pool.fetch(
        "SELECT version FROM events WHERE tenant_id = $1 AND incident_id = $2 ORDER BY version", who.tenant, incident
    )
    return [r["version"] for r in rows]


async def test_cached_state_is_exactly_the_fold_of_the_stored_stream(pool):
    who, one, _, incident = await _setup(pool)
    plus_two = clock.now().astimezone(timezone(timedelta(hours=2))) + timedelta(seconds=1)
    commands = [
        Acknowledge(incident_id=incident, actor="ayse", occurred_at=plus_two),
        Reply(incident_id=incident, actor="ayse", channel=Channel.X, text="on it", visibility=Visibility.PUBLIC),
        Note(incident_id=incident, actor="ayse", text="n"),
        Resolve(incident_id=incident, actor="ayse", summary="done"),
        Reopen(incident_id=incident, actor="ayse", reason="again"),
    ]
    for cmd in commands:
        done = await one.execute(who, cmd)
        assert isinstance(done, Done)
        cached = _held(one, who.tenant, incident)
        stored = await _stored(one, who, incident)
        assert cached == stored
        # Same spelling too, not only the same instant: responses are built from the cached state.
        assert repr(cached) == repr(stored)
        assert done.incident == stored


async def test_a_stale_cache_costs_a_reload_not_a_lost_or_doubled_write(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="warms two's cache"))
    await one.execute(who, Note(incident_id=incident, actor="a", text="moves past two's cache"))
    assert _held(two, who.tenant, incident).version == 2  # stale: the stream is at 3
    reads = _count_reads(two)
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="decided again"))
    assert isinstance(done, Done)
    # The conflict brought what two had missed: it caught up without reading the stream.
    assert reads == []
    assert done.events[0].version == 4
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]
    assert _held(two, who.tenant, incident) == await _stored(two, who, incident)


def _count_reads(shell: Shell) -> list[uuid.UUID]:
    reads: list[uuid.UUID] = []
    read_stream = shell.store.read_stream

    async def counting(tenant, incident_id, *args):  # type: ignore[no-untyped-def]
        reads.append(incident_id)
        return await read_stream(tenant, incident_id, *args)

    shell.store.read_stream = counting  # type: ignore[method-assign]
    return reads


async def test_a_conflict_says_exactly_what_the_caller_missed(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="x"))
    await one.execute(who, Acknowledge(incident_id=incident, actor="a"))
    await one.execute(who, Resolve(incident_id=incident, actor="a", summary="done"))
    stored = await one.store.read_stream(who.tenant, incident)
    conflict = await one.store.append(
        who.tenant, incident, 1, [NewEvent(data=Noted(text="late"), occurred_at=clock.now(), actor="a")],
        recorded_by="k",
    )  # fmt: skip
    assert conflict == Conflict(current_version=4)
    assert conflict.missed == tuple((e.version, e.occurred_at, e.data) for e in stored[1:])
    up_to_date = await one.store.append(
        who.tenant, incident, 4, [NewEvent(data=Noted(text="x"), occurred_at=clock.now(), actor="a")],
        recorded_by="k",
    )  # fmt: skip
    assert not isinstance(up_to_date, Conflict)


async def test_a_refusal_on_a_stale_cache_is_decided_again_on_the_stored_stream(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Resolve(incident_id=incident, actor="b", summary="fixed"))
    await one.execute(who, Reopen(incident_id=incident, actor="a", reason="it came back"))
    # Two's cache says resolved, where a note is refused; the stored stream says open again.
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="still here"))
    assert isinstance(done, Done)
    assert done.incident.status == "open"
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]


async def test_if_match_is_judged_against_the_stored_version_not_the_cached_one(pool):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="x"))  # two caches version 2
    await one.execute(who, Note(incident_id=incident, actor="a", text="y"))  # stream at 3
    done = await two.execute(who, Note(incident_id=incident, actor="b", text="z"), if_match=3)
    assert isinstance(done, Done) and done.events[0].version == 4
    with pytest.raises(VersionConflict):
        await one.execute(who, Note(incident_id=incident, actor="a", text="w"), if_match=3)
    assert await _versions(pool, who, incident) == [1, 2, 3, 4]


async def test_a_refusal_that_the_stored_stream_confirms_is_refused_and_writes_nothing(pool):
    who, one, two, incident = await _setup(pool)
    await one.execute(who, Acknowledge(incident_id=incident, actor="a"))
    await two.execute(who, Note(incident_id=incident, actor="b", text="warm"))
    for shell in (one, two):  # one's cache is current, two's is current too: both refuse
        with pytest.raises(ActionNotAllowed):
            await shell.execute(who, Acknowledge(incident_id=incident, actor="c"))
    assert await _versions(pool, who, incident) == [1, 2, 3]


# ---------------------------------------------------------------- turns on one incident


def _count_conflicts(shell: Shell) -> list[int]:
    conflicts: list[int] = []
    append = shell.store.append

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await append(*args, **kwargs)
        if isinstance(result, Conflict):
            conflicts.append(result.current_version)
        return result

    shell.store.append = counting  # type: ignore[method-assign]
    return conflicts


async def test_commands_on_one_incident_take_turns_and_never_conflict_with_each_other(pool):
    who, one, _, incident = await _setup(pool)
    conflicts = _count_conflicts(one)
    notes = [Note(incident_id=incident, actor="a", text=f"n{i}") for i in range(40)]
    done = await asyncio.gather(*(one.execute(who, cmd) for cmd in notes))
    # Each decided on the state the one before it appended: none went out on a stale version.
    assert conflicts == []
    assert sorted(d.events[0].version for d in done) == list(range(2, 42))
    assert await _versions(pool, who, incident) == list(range(1, 42))
    assert len(one.turns) == 0
    assert _held(one, who.tenant, incident) == await _stored(one, who, incident)


async def test_other_incidents_do_not_wait_for_a_turn_and_a_cancelled_waiter_gives_its_turn_up(pool):
    who, one, _, incident = await _setup(pool)
    other = (
        await one.execute(
            who, Detect(incident_id=uuid.uuid4(), actor="a", title="t", severity=Severity.SEV2, channel=Channel.X)
        )
    ).incident.id
    gate, entered = asyncio.Event(), asyncio.Event()
    append = one.store.append

    async def held(tenant, incident_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if incident_id == incident and not gate.is_set():
            entered.set()
            await gate.wait()
        return await append(tenant, incident_id, *args, **kwargs)

    one.store.append = held  # type: ignore[method-assign]
    first = asyncio.create_task(one.execute(who, Note(incident_id=incident, actor="a", text="first")))
    await entered.wait()
    waiter = asyncio.create_task(one.execute(who, Note(incident_id=incident, actor="a", text="gives up")))
    # Another incident's command is not held up behind the busy one.
    elsewhere = await asyncio.wait_for(one.execute(who, Note(incident_id=other, actor="a", text="x")), 5)
    assert elsewhere.events[0].version == 2
    await asyncio.sleep(0.01)
    assert not waiter.done()  # waiting for its turn
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    assert (await first).events[0].version == 2
    after = await one.execute(who, Note(incident_id=incident, actor="a", text="next"))
    assert after.events[0].version == 3  # the cancelled waiter appended nothing
    assert len(one.turns) == 0


# ---------------------------------------------------------------- what other processes committed


def _change(event: Event) -> Change:
    return Change.of(event, msgspec.Raw(msgspec.json.encode(data_dict(event.data))))


async def _history(pool: asyncpg.Pool) -> tuple[Principal, Shell, uuid.UUID, list[Event]]:
    who, one, _, incident = await _setup(pool)
    plus_two = clock.now().astimezone(timezone(timedelta(hours=2))) + timedelta(seconds=1)
    for cmd in (
        Acknowledge(incident_id=incident, actor="ayse", occurred_at=plus_two),
        Reply(incident_id=incident, actor="ayse", channel=Channel.X, text="on it ✓", visibility=Visibility.PUBLIC),
        Note(incident_id=incident, actor="ayse", text="n"),
        Resolve(incident_id=incident, actor="ayse", summary="done"),
    ):
        await one.execute(who, cmd)
    return who, one, incident, await one.store.read_stream(who.tenant, incident)


async def test_a_learned_state_is_exactly_the_fold_of_the_stored_stream(pool):
    who, _, incident, stored = await _history(pool)
    shell = _shell(pool)
    shell.learn(who.tenant, [_change(e) for e in stored[1:3]])  # (the middle of an incident not held)
    assert _held(shell, who.tenant, incident) is None
    shell.learn(who.tenant, [_change(stored[0])])  # its detection: taken in
    assert _held(shell, who.tenant, incident) == fold(stored[:1])
    shell.learn(who.tenant, [_change(e) for e in stored[1:]])
    learned = _held(shell, who.tenant, incident)
    assert learned == fold(stored)
    assert repr(learned) == repr(fold(stored))  # (responses are built from it)


async def test_learning_ignores_what_it_cannot_follow_on_and_drops_what_it_missed(pool):
    who, _, incident, stored = await _history(pool)
    t = who.tenant
    shell = _shell(pool)

    def hold(state: Incident | None) -> None:
        shell.folds.keep(t, incident, state=state)

    hold(fold(stored[:2]))
    shell.learn(t, [_change(stored[0]), _change(stored[1])])  # already folded: unchanged
    assert _held(shell, t, incident) == fold(stored[:2])
    shell.learn(t, [_change(stored[3])])  # version 3 went missing: the state is no longer a good guess
    assert _held(shell, t, incident) is None
    hold(fold(stored[:2]))
    shell.learn(t, [msgspec.structs.replace(_change(stored[2]), type="from_a_newer_version")])
    assert _held(shell, t, incident) is None
    hold(fold(stored[:2]))
    shell.learn(t, [], too_large=[(incident, 3)])  # named, not carried
    assert _held(shell, t, incident) is None
    hold(fold(stored[:2]))
    shell.learn(t, [_change(e) for e in stored[2:]], too_large=[(incident, 2)])  # (an old one)
    assert _held(shell, t, incident) == fold(stored)
    shell.learn(t, [_change(e) for e in stored], too_large=[(uuid.uuid4(), 9)])  # not held: ignored
    assert _held(shell, t, incident) == fold(stored)


async def test_payloads_stay_under_the_limit_and_carry_every_change_in_order(pool):
    who, _, incident, stored = await _history(pool)
    policy = Event(
        id=uuid.uuid4(), tenant_id=who.tenant, incident_id=None, version=None, position=99,
        occurred_at=stored[0].occurred_at, recorded_at=stored[0].recorded_at, actor="a", recorded_by="k",
        data=PolicyChanged(version=2, policy={}), prev_hash="0" * 64, hash="0" * 64,
    )  # fmt: skip
    huge = msgspec.structs.replace(stored[2], version=6, data=Noted(text="x" * 9_000))
    events = [*stored, policy, huge]
    limit = 700
    sent = [wire.decode_payload(p) for p in wire.payloads("me", who.tenant, events, limit)]
    assert len(sent) > 1
    assert all(len(p.encode()) <= limit for p in wire.payloads("me", who.tenant, events, limit))
    assert all((m.origin, m.tenant) == ("me", who.tenant) for m in sent)
    assert [c for m in sent for c in m.changes] == [_change(e) for e in stored]  # (no policy: no incident)
    assert [t for m in sent for t in m.too_large] == [(incident, 6)]
    assert [t for m in sent for t in m.tenant_events] == ["policy_changed"]
    only_policy = [wire.decode_payload(p) for p in wire.payloads("me", who.tenant, [policy])]
    assert [(m.changes, m.too_large, m.tenant_events) for m in only_policy] == [([], [], ["policy_changed"])]
    nothing = [wire.decode_payload(p) for p in wire.payloads("me", who.tenant, [])]
    assert [(m.changes, m.too_large, m.tenant_events) for m in nothing] == [([], [], [])]  # (it still wakes)


async def test_a_notifier_hands_on_other_processes_changes_and_wakes_on_every_kind(pool):
    async def never() -> asyncpg.Connection:
        raise AssertionError("not connected in this test")

    async def release(_conn: asyncpg.Connection) -> None:
        return None

    who, _, _, stored = await _history(pool)
    here, there = notify.Notifier(never, release), notify.Notifier(never, release)
    told: list[tuple[str, list[Change]]] = []
    here.on_remote = lambda message: told.append((message.tenant, message.changes))
    with here.subscribe(who.tenant) as woken:
        (own,) = wire.payloads(here.origin, who.tenant, stored)
        here._on_notify(None, 0, notify.CHANNEL, own)
        assert not woken.is_set() and told == []  # its own: announced already
        (theirs,) = wire.payloads(there.origin, who.tenant, stored)
        here._on_notify(None, 0, notify.CHANNEL, theirs)
        assert woken.is_set() and told == [(who.tenant, [_change(e) for e in stored])]
        for payload in (who.tenant, "[not json"):  # a bare tenant (earlier versions); unreadable
            woken.clear()
            here._on_notify(None, 0, notify.CHANNEL, payload)
            assert woken.is_set()


async def test_a_process_folds_what_another_committed_and_its_next_append_is_not_a_conflict(pool, database_url):
    who, one, two, incident = await _setup(pool)
    await two.execute(who, Note(incident_id=incident, actor="b", text="two holds version 2"))
    async with notify.running(database_url, pool) as n1, notify.running(database_url, pool) as n2:
        for shell, notifier in ((one, n1), (two, n2)):
            shell.store.on_append = notifier.announce
            notifier.on_remote = partial(_learn, shell, shell.policies)
            await asyncio.wait_for(notifier.listening.wait(), 10)
        await one.execute(who, Acknowledge(incident_id=incident, actor="a"))
        reply = Reply(incident_id=incident, actor="a", channel=Channel.X, text="hi", visibility=Visibility.PUBLIC)
        await one.execute(who, reply)
        for _ in range(200):
            if (held := _held(two, who.tenant, incident)) is not None and held.version == 4:
                break
            await asyncio.sleep(0.025)
        assert _held(two, who.tenant, incident) == await _stored(two, who, incident)
        appends = _count_appends(two)
        done = await two.execute(who, Note(incident_id=incident, actor="b", text="no conflict"))
        assert isinstance(done, Done) and done.events[0].version == 5
        assert appends == [Done]  # one round trip: the state it decided on was current
        # An incident detected in one: two takes it in from the notification, and needs no read.
        detect = Detect(incident_id=uuid.uuid4(), actor="a", title="new", severity=Severity.SEV3, channel=Channel.X)
        fresh = await one.execute(who, detect)
        assert isinstance(fresh, Done)
        for _ in range(200):
            if _held(two, who.tenant, fresh.incident.id) is not None:
                break
            await asyncio.sleep(0.025)
        reads = _count_reads(two)
        done = await two.execute(who, Note(incident_id=fresh.incident.id, actor="b", text="first here"))
        assert isinstance(done, Done) and done.events[0].version == 2
        assert reads == [] and appends == [Done, Done]


def _count_appends(shell: Shell) -> list[type]:
    outcomes: list[type] = []
    append = shell.store.append

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await append(*args, **kwargs)
        outcomes.append(Done if isinstance(result, Appended) else type(result))
        return result

    shell.store.append = counting  # type: ignore[method-assign]
    return outcomes


async def test_a_plan_change_in_one_process_is_seen_by_the_others_commands_at_once(pool, database_url, monkeypatch):
    monkeypatch.setattr(policy_store, "CURRENT_FOR_S", 3600.0)  # only the notification can tell two
    who, one, two, _ = await _setup(pool)
    admin = Principal(who.tenant, "admin-key", Scope.ADMIN)
    assert (await two.policies.current_roles(who.tenant))[0] == 0  # two holds version 0 in memory
    async with notify.running(database_url, pool) as n1, notify.running(database_url, pool) as n2:
        for shell, notifier in ((one, n1), (two, n2)):
            shell.store.on_append = notifier.announce
            notifier.on_remote = partial(_learn, shell, shell.policies)
            await asyncio.wait_for(notifier.listening.wait(), 10)
        document = policy_to_dict(DEFAULT_POLICY) | {"roles": [*DEFAULT_POLICY.roles, "translator"]}
        await one.change_policy(admin, ChangePolicy(actor=admin.name, document=document))
        assert await one.policies.current_roles(who.tenant) == (1, frozenset(document["roles"]))
        for _ in range(200):
            if who.tenant not in two.policies._in_force:
                break
            await asyncio.sleep(0.025)
        assert await two.policies.current_roles(who.tenant) == (1, frozenset(document["roles"]))


async def test_a_plan_read_that_a_change_overtook_is_not_kept(pool):
    t = await new_tenant(pool)
    policies = PolicyStore(pool)
    read = policies.current

    async def overtaken(tenant, conn=None):  # type: ignore[no-untyped-def]
        result = await read(tenant, conn)
        policies.changed(tenant)  # (a notification arrived while the read was out)
        return result

    policies.current = overtaken  # type: ignore[method-assign]
    assert (await policies.current_roles(t.name))[0] == 0
    assert t.name not in policies._in_force
    policies.current = read  # type: ignore[method-assign]
    await policies.current_roles(t.name)
    assert t.name in policies._in_force
