"""The imperative shell: load → fold → decide → append, for one command on one incident; and the
same path, with the same Idempotency-Key and If-Match, for signals, policy changes and the
configuration writes that append no event (webhook subscriptions)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import asyncpg
import msgspec

from ledger.clock import Clock, utc_now
from ledger.domain.commands import Assign, ChangePolicy, Command, Detect, Reply, Signal
from ledger.domain.errors import (
    ActionNotAllowed,
    IdempotencyKeyReused,
    LedgerError,
    NotFound,
    PolicyVersionConflict,
    VersionConflict,
)
from ledger.domain.plan import Policy
from ledger.domain.rules import Incident, decide, decide_policy, evolve, fold, merge_or_detect
from ledger.lru import Lru
from ledger.service.access import verified_actor
from ledger.store.events import (
    Appended,
    Conflict,
    DedupHit,
    EventStore,
    Idempotency,
    Replayed,
    StreamFacts,
    decode_data,
)
from ledger.store.keys import Principal
from ledger.store.policies import PolicyStore, append_change, policy_at
from schemas.events import Event, EventData, NewEvent

if TYPE_CHECKING:
    from ledger.feed.notifier import Change

# Without If-Match a client asks for "append after whatever is there": a concurrent append only
# means deciding again on the newer state. Bounded, so a pathological hot stream still answers.
MAX_ATTEMPTS = 64
# A signal whose open incident is resolved between the store naming it and the append is routed
# again; bounded for an incident that keeps being resolved and reopened.
SIGNAL_ROUNDS = 5

T = TypeVar("T")
_answers = msgspec.json.Encoder()


def request_hash(method: str, path: str, body: bytes) -> bytes:
    """What makes two requests 'the same' for an Idempotency-Key: method, path and exact body."""
    return hashlib.sha256(f"{method} {path}\n".encode() + body).digest()


@dataclass(frozen=True)
class Done:
    """The command's result: the events it appended (or replayed) and the incident after them."""

    events: list[Event]
    incident: Incident
    status_code: int
    replayed: bool


@dataclass(frozen=True)
class Deduplicated:
    """A detection whose dedup_key already belongs to an open incident."""

    incident_id: uuid.UUID


@dataclass(frozen=True)
class Signalled:
    """Where a signal went: a new incident (`created`) or more of the open one with its dedup_key."""

    done: Done
    created: bool


class StateCache:
    """The folded state of recently written incidents, as this process last appended them, and
    moved on by what other processes committed (`learn`, from their notifications).

    Saves loading the stream for the next command on the same incident. Never trusted blindly:
    the append is conditional on the version the state was folded to, so a state another
    process has moved past only costs a Conflict (which says what was missed); and a refusal
    decided on a cached state is decided again on the stored stream before it is answered.
    Bounded (LRU).
    """

    def __init__(self, size: int = 20_000) -> None:
        self._states: Lru[tuple[str, uuid.UUID], Incident] = Lru(size)

    def get(self, tenant: str, incident_id: uuid.UUID) -> Incident | None:
        return self._states.get((tenant, incident_id))

    def put(self, tenant: str, state: Incident) -> None:
        self._states.put((tenant, state.id), state)

    def drop(self, tenant: str, incident_id: uuid.UUID) -> None:
        self._states.pop((tenant, incident_id))

    def learn(self, tenant: str, changes: Iterable[Change], too_large: Iterable[tuple[uuid.UUID, int]] = ()) -> None:
        """Events another process committed (ledger.feed.notifier): fold each onto the state held of its
        incident, so that the next append here is not a conflict, and take in a new incident from
        its detection, so that the first append here needs no read. A state an event does not
        follow on directly is dropped (a notification was lost); other events of incidents not
        held are ignored."""
        for change in changes:
            key = (tenant, change.incident_id)
            state = self._states.peek(key)
            held = state.version if state is not None else 0
            if held >= change.version or (state is None and change.version != 1):
                continue  # (already folded; or another incident's middle, not held here)
            if held != change.version - 1:
                self._states.pop(key)
                continue
            try:
                data = decode_data(change.type, change.data)
                after = _evolved(state, change.incident_id, [(change.version, change.occurred_at, data)])
            except (KeyError, msgspec.DecodeError, ValueError):  # (a type or a stream this version does not know)
                self._states.pop(key)
                continue
            assert after is not None
            self._states.put(key, after)  # (written to elsewhere: likely written to here next)
        for incident_id, version in too_large:
            state = self._states.peek((tenant, incident_id))
            if state is not None and state.version < version:
                self._states.pop((tenant, incident_id))


@dataclass(slots=True)
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wanted: int = 0  # commands holding or waiting for the lock


class IncidentLocks:
    """Commands on one incident take turns in this process, so each decides on the state the one
    before it appended (held in StateCache).

    Without turns, concurrent commands on one incident all decide on the same version and leave
    in the same group-commit batch, where all but the first conflict and decide again, batch
    after batch: 64 clients adding notes to one incident got about 150 appends/s, and a third
    of the requests gave up with 409 after MAX_ATTEMPTS. A turn is taken only by commands on an
    existing incident and held for its decision and its append; other incidents never wait.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[str, uuid.UUID], _Turn] = {}

    def enter(self, tenant: str, incident_id: uuid.UUID) -> asyncio.Lock:
        """The incident's lock, counted as wanted until `leave` (acquire it after this)."""
        turn = self._held.get((tenant, incident_id))
        if turn is None:
            turn = self._held[(tenant, incident_id)] = _Turn()
        turn.wanted += 1
        return turn.lock

    def leave(self, tenant: str, incident_id: uuid.UUID) -> None:
        turn = self._held[(tenant, incident_id)]
        turn.wanted -= 1
        if not turn.wanted:  # nobody holds or waits for it
            del self._held[(tenant, incident_id)]

    def __len__(self) -> int:
        return len(self._held)


@dataclass
class Shell:
    store: EventStore
    policies: PolicyStore
    clock: Clock = utc_now
    states: StateCache = field(default_factory=StateCache)
    turns: IncidentLocks = field(default_factory=IncidentLocks)

    async def execute(
        self,
        who: Principal,
        cmd: Command,
        *,
        if_match: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Done | Deduplicated:
        """Carry out `cmd` for `who`; replays an earlier result for a repeated Idempotency-Key."""
        verified = verified_actor(who, cmd.actor)  # (a personal key naming someone else writes nothing)

        async def write() -> Done | Deduplicated:
            if isinstance(cmd, Detect):
                return await self._attempt(who, cmd, verified, if_match, idempotency)
            lock = self.turns.enter(who.tenant, cmd.incident_id)
            try:
                async with lock:
                    return await self._attempt(who, cmd, verified, if_match, idempotency)
            finally:
                self.turns.leave(who.tenant, cmd.incident_id)

        return await self.once(who.tenant, idempotency, write, lambda earlier: self.replay(who.tenant, earlier))

    async def once(
        self,
        tenant: str,
        idempotency: Idempotency | None,
        write: Callable[[], Awaitable[T]],
        replay: Callable[[Replayed], Awaitable[T]],
    ) -> T:
        """Idempotency-Key, for every write: a request whose key was used with the same request is
        answered by `replay` of the first one's result, writing nothing; with another request it
        is refused (IdempotencyKeyReused). `write` records the key with what it writes, atomically."""
        if idempotency is not None:
            earlier = await self.store.idempotent(tenant, idempotency.key, idempotency.request_hash)
            if earlier is not None:
                return await replay(earlier)
        try:
            return await write()
        except LedgerError:
            # A twin request with the same key may have committed between our check and our
            # decision, and its effect now makes the rules refuse ours: answer with its result.
            if idempotency is not None:
                earlier = await self.store.idempotent(tenant, idempotency.key, idempotency.request_hash)
                if earlier is not None:
                    return await replay(earlier)
            raise

    async def signal(self, who: Principal, signal: Signal, *, idempotency: Idempotency | None = None) -> Signalled:
        """Route a signal (ledger.rules.merge_or_detect) and carry out where it goes. A retry with
        the same Idempotency-Key is answered as the first was (a detection 201, an addition 200)."""
        added = None if idempotency is None else dataclasses.replace(idempotency, status_code=200)
        for _ in range(SIGNAL_ROUNDS):
            detect = merge_or_detect(signal, None, uuid.uuid4())
            result = await self.execute(who, detect, idempotency=idempotency)
            if isinstance(result, Deduplicated):  # the store names the open incident with the key
                more = merge_or_detect(signal, result.incident_id, detect.incident_id)
                try:
                    result = await self.execute(who, more, idempotency=added)
                except (ActionNotAllowed, NotFound):
                    continue  # resolved (or gone) since the store named it: route again
                assert isinstance(result, Done)
                return Signalled(result, created=result.replayed and result.status_code == 201)
            return Signalled(result, created=not result.replayed or result.status_code == 201)
        raise ActionNotAllowed("the incident with this dedup_key keeps changing state; try again")

    async def change_policy(
        self,
        who: Principal,
        cmd: ChangePolicy,
        *,
        if_match: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Policy:
        """Make `cmd.document` the tenant's plan (ledger.rules.decide_policy); If-Match names the
        version it must replace (else 412), and without it the last writer wins."""
        verified = verified_actor(who, cmd.actor)

        async def write() -> Policy:
            for _ in range(MAX_ATTEMPTS):
                current = (await self.policies.current(who.tenant)).version
                if if_match is not None and current != if_match:
                    raise PolicyVersionConflict(f"the policy is at version {current}, not {if_match}")
                (event,) = decide_policy(cmd, current, self.clock())
                result = await append_change(
                    self.store,
                    self.policies,
                    who.tenant,
                    current,
                    event,
                    recorded_by=who.name,
                    actor_verified=verified,
                    idempotency=idempotency,
                )
                match result:
                    case Appended():
                        return await self.policies.version(who.tenant, current + 1)
                    case Replayed():
                        return await replay(result)
            raise ActionNotAllowed("the policy is changing too fast to replace; try again")

        async def replay(earlier: Replayed) -> Policy:
            assert earlier.first_position is not None
            return await policy_at(self.policies, who.tenant, earlier.first_position)

        return await self.once(who.tenant, idempotency, write, replay)

    async def configure(
        self,
        who: Principal,
        change: Callable[[asyncpg.Connection], Awaitable[T]],
        answer: type[T],
        *,
        vet: Callable[[], Awaitable[object]] | None = None,
        idempotency: Idempotency | None = None,
    ) -> T:
        """A write of configuration, which appends no event (webhook subscriptions): `change` runs in
        one transaction with its Idempotency-Key, kept with its answer, which a retry gets again.
        `vet`: checks without the database, perhaps slow (DNS), made before the transaction."""

        async def write() -> T:
            if vet is not None:
                await vet()
            async with self.store.pool.acquire() as conn, conn.transaction():
                result = await change(conn)
                if idempotency is not None:
                    await self.store.remember_answer(conn, who.tenant, idempotency, _answers.encode(result))
            return result

        async def replay(earlier: Replayed) -> T:
            if earlier.response is None:  # (the key was used by a write of another kind)
                raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
            return msgspec.json.decode(earlier.response, type=answer)

        return await self.once(who.tenant, idempotency, write, replay)

    async def _attempt(
        self, who: Principal, cmd: Command, verified: bool, if_match: int | None, idempotency: Idempotency | None
    ) -> Done | Deduplicated:
        cmd = await self._with_policy(who.tenant, cmd)
        trust_cache = True
        for attempt in range(MAX_ATTEMPTS):
            cached = (
                None if isinstance(cmd, Detect) or not trust_cache else self.states.get(who.tenant, cmd.incident_id)
            )
            trust_cache = True
            if cached is not None:
                state: Incident | None = cached
            elif isinstance(cmd, Detect):
                state = None
            else:
                state = fold(await self.store.read_stream(who.tenant, cmd.incident_id))
            if state is None and not isinstance(cmd, Detect):
                raise NotFound(f"incident {cmd.incident_id} not found")
            version = state.version if state else 0
            try:
                if if_match is not None and version != if_match:
                    raise VersionConflict(f"the incident is at version {version}, not {if_match}")
                new_events = decide(cmd, state, self.clock())
            except LedgerError:
                if cached is None:
                    raise
                trust_cache = False  # refused on what this process last saw: ask the stored stream
                continue
            after = _provisional(state, cmd.incident_id, version, new_events)
            result = await self.store.append(
                who.tenant,
                cmd.incident_id,
                version,
                new_events,
                recorded_by=who.name,
                actor_verified=verified,
                idempotency=idempotency,
                facts=StreamFacts(
                    status=str(after.status),
                    severity=str(after.severity),
                    scenario=after.scenario,
                    channel=str(after.channel),
                    dedup_key=after.dedup_key,
                    detected_at=after.detected_at,
                ),
            )
            match result:
                case Appended(events=events):
                    # (The state depends only on data, occurred_at and version: `after` is the fold.)
                    self.states.put(who.tenant, after)
                    return Done(events, after, result.status_code, replayed=False)
                case Replayed():
                    return await self.replay(who.tenant, result)
                case DedupHit(incident_id=existing):
                    return Deduplicated(existing)
                case Conflict(current_version=current, missed=missed):
                    if not isinstance(cmd, Detect):
                        caught_up = _caught_up(state, current, missed)
                        if caught_up is not None:  # decide again on it, without reading the stream
                            self.states.put(who.tenant, caught_up)
                        else:
                            self.states.drop(who.tenant, cmd.incident_id)
                    if cached is not None:
                        continue  # another process moved it on: decide again on what it missed (or the stream)
                    if if_match is not None:
                        raise VersionConflict(f"the incident is at version {current}, not {if_match}")
                    if isinstance(cmd, Detect):
                        raise ActionNotAllowed("the incident already exists")
                    await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        raise ActionNotAllowed("the incident is changing too fast to append to; try again")

    async def replay(self, tenant: str, earlier: Replayed) -> Done:
        """The result of an earlier request, rebuilt from the (immutable) events it appended."""
        if earlier.first_position is None or earlier.last_position is None:  # (a key used by a configuration write)
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        events = await self.store.read_positions(tenant, earlier.first_position, earlier.last_position)
        assert earlier.incident_id is not None and events
        last_version = events[-1].version or 0
        history = await self.store.read_stream(tenant, earlier.incident_id, 0, last_version)
        incident = fold(history)
        assert incident is not None
        return Done(events, incident, earlier.status_code, replayed=True)

    async def _with_policy(self, tenant: str, cmd: Command) -> Command:
        """Fill in what the rules need from the tenant's plan, so the rules stay pure."""
        match cmd:
            case Detect():
                version, _ = await self.policies.current_roles(tenant)
                return msgspec.structs.replace(cmd, policy_version=version)
            case Assign():
                _, roles = await self.policies.current_roles(tenant)
                return msgspec.structs.replace(cmd, known_roles=roles)
            case Reply():
                plan = await self.policies.in_force(tenant)
                ids = frozenset(s.id for s in plan.holding_statements)
                return msgspec.structs.replace(cmd, review_plan=plan.reply_review, holding_ids=ids)
        return cmd


def _provisional(state: Incident | None, incident_id: uuid.UUID, version: int, new_events: list[NewEvent]) -> Incident:
    """The incident after `new_events`, before the store has numbered and chained them."""
    changes = [(version + i + 1, new.occurred_at, new.data) for i, new in enumerate(new_events)]
    after = _evolved(state, incident_id, changes)
    assert after is not None
    return after


def _caught_up(
    state: Incident | None, current: int, missed: tuple[tuple[int, datetime, EventData], ...] | None
) -> Incident | None:
    """`state` brought forward by the events a conflict said it missed; None if they do not fit."""
    if state is None or not missed or [v for v, _, _ in missed] != list(range(state.version + 1, current + 1)):
        return None
    return _evolved(state, state.id, missed)


_NO_ID = uuid.UUID(int=0)  # (evolve reads no event id: a placeholder, made once)


def _evolved(
    state: Incident | None, incident_id: uuid.UUID, changes: Iterable[tuple[int, datetime, EventData]]
) -> Incident | None:
    """Fold (version, occurred_at, data) triples onto `state`: all that `evolve` reads of an event."""
    for version, occurred_at, data in changes:
        state = evolve(
            state,
            Event(
                id=_NO_ID,
                tenant_id="",
                incident_id=incident_id,
                version=version,
                position=0,
                occurred_at=occurred_at.astimezone(UTC),  # as the store gives it back
                recorded_at=occurred_at,
                actor="",
                recorded_by="",
                data=data,
                prev_hash="",
                hash="",
            ),
        )
    return state
