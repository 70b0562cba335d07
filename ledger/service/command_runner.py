"""The imperative shell: load → fold → decide → append, for one command on one incident; and the
same path, with the same Idempotency-Key and If-Match, for signals, policy changes and the
configuration writes that append no event (webhook subscriptions)."""

from __future__ import annotations

import asyncio
import dataclasses
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
from ledger.domain.plan_changes import decide_policy
from ledger.domain.rules import Incident, decide, evolve
from ledger.domain.signal_routing import merge_or_detect
from ledger.service.access import verified_actor
from ledger.service.idempotency import once
from ledger.service.incident_locks import IncidentLocks
from ledger.store.appends import Appended, Conflict, DedupHit, StreamFacts
from ledger.store.events import EventStore
from ledger.store.idempotency import Idempotency, Replayed, remember_answer
from ledger.store.ids import new_id
from ledger.store.keys import Principal
from ledger.store.policies import PolicyStore, append_change, policy_at
from projections.fold_cache import FoldCache
from projections.snapshots import stored_state
from schemas.events import Event, EventData, NewEvent, decode_data

if TYPE_CHECKING:
    from ledger.feed.payloads import Change

# Without If-Match a client asks for "append after whatever is there": a concurrent append only
# means deciding again on the newer state. Bounded, so a pathological hot stream still answers.
MAX_ATTEMPTS = 64
# A signal whose open incident is resolved between the store naming it and the append is routed
# again; bounded for an incident that keeps being resolved and reopened.
SIGNAL_ROUNDS = 5

T = TypeVar("T")
_answers = msgspec.json.Encoder()


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


@dataclass
class Shell:
    """Runs commands. `folds`: the process's fold cache (projections.fold_cache), whose decider
    states it decides on, conditionally, and keeps after each append."""

    store: EventStore
    policies: PolicyStore
    clock: Clock = utc_now
    folds: FoldCache = field(default_factory=FoldCache)
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

        return await once(self.store.pool, who.tenant, idempotency, write, lambda e: self.replay(who.tenant, e))

    async def signal(self, who: Principal, signal: Signal, *, idempotency: Idempotency | None = None) -> Signalled:
        """Route a signal (ledger.domain.signal_routing.merge_or_detect) and carry out where it goes. A retry with
        the same Idempotency-Key is answered as the first was (a detection 201, an addition 200)."""
        added = None if idempotency is None else dataclasses.replace(idempotency, status_code=200)
        for _ in range(SIGNAL_ROUNDS):
            detect = merge_or_detect(signal, None, new_id())
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
        """Make `cmd.document` the tenant's plan (ledger.domain.plan_changes.decide_policy); If-Match names the
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

        return await once(self.store.pool, who.tenant, idempotency, write, replay)

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
                    await remember_answer(conn, who.tenant, idempotency, _answers.encode(result))
            return result

        async def replay(earlier: Replayed) -> T:
            if earlier.response is None:  # (the key was used by a write of another kind)
                raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
            return msgspec.json.decode(earlier.response, type=answer)

        return await once(self.store.pool, who.tenant, idempotency, write, replay)

    async def _attempt(
        self, who: Principal, cmd: Command, verified: bool, if_match: int | None, idempotency: Idempotency | None
    ) -> Done | Deduplicated:
        cmd = await self._with_policy(who.tenant, cmd)
        trust_held = True
        for attempt in range(MAX_ATTEMPTS):
            held = self._held_state(who.tenant, cmd) if trust_held else None
            trust_held = True
            state = held if held is not None else await self._stored_state(who.tenant, cmd)
            version = state.version if state else 0
            try:
                if if_match is not None and version != if_match:
                    raise VersionConflict(f"the incident is at version {version}, not {if_match}")
                new_events = decide(cmd, state, self.clock())
            except LedgerError:
                if held is None:
                    raise
                trust_held = False  # refused on what this process last saw: ask the stored stream
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
                facts=_facts(after),
            )
            match result:
                case Appended(events=events):
                    # (The state depends only on data, occurred_at and version: `after` is the fold.)
                    self.folds.keep(who.tenant, after.id, state=after)
                    return Done(events, after, result.status_code, replayed=False)
                case Replayed():
                    return await self.replay(who.tenant, result)
                case DedupHit(incident_id=existing):
                    return Deduplicated(existing)
                case Conflict(current_version=current):
                    if not isinstance(cmd, Detect):
                        self._catch_up(who.tenant, cmd.incident_id, state, result)
                    if held is not None:
                        continue  # another process moved it on: decide again on what it missed (or the stream)
                    if if_match is not None:
                        raise VersionConflict(f"the incident is at version {current}, not {if_match}")
                    if isinstance(cmd, Detect):
                        raise ActionNotAllowed("the incident already exists")
                    await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        raise ActionNotAllowed("the incident is changing too fast to append to; try again")

    def _held_state(self, tenant: str, cmd: Command) -> Incident | None:
        """The decider state held of the command's incident (never for a detection)."""
        if isinstance(cmd, Detect):
            return None
        held = self.folds.get(tenant, cmd.incident_id)
        return held.state if held is not None else None

    async def _stored_state(self, tenant: str, cmd: Command) -> Incident | None:
        """The incident folded from its stored stream (from its latest snapshot on); NotFound
        without one (but for a detection)."""
        if isinstance(cmd, Detect):
            return None
        state = await stored_state(self.store, tenant, cmd.incident_id)
        if state is None:
            raise NotFound(f"incident {cmd.incident_id} not found")
        return state

    def _catch_up(self, tenant: str, incident_id: uuid.UUID, state: Incident | None, conflict: Conflict) -> None:
        """Keep `state` brought forward by the events the conflict says it missed, so the next
        attempt decides again without reading the stream; if they do not fit, hold none."""
        caught_up = _caught_up(state, conflict.current_version, conflict.missed)
        if caught_up is not None:
            self.folds.keep(tenant, incident_id, state=caught_up)
        else:
            self.folds.drop_state(tenant, incident_id)

    def learn(self, tenant: str, changes: Iterable[Change], too_large: Iterable[tuple[uuid.UUID, int]] = ()) -> None:
        """Events another process committed (ledger.feed.notifier): fold each onto the state held of
        its incident, so that the next append here is not a conflict, and take in a new incident
        from its detection, so that the first append here needs no read. A state an event does
        not follow on directly is dropped (a notification was lost); other events of incidents
        not held are ignored; so is a state already as far as the event."""
        for change in changes:
            held = self.folds.peek(tenant, change.incident_id)
            state = held.state if held is not None else None
            version = state.version if state is not None else 0
            if version >= change.version or (state is None and change.version != 1):
                continue  # (already folded; or another incident's middle, not held here)
            if version != change.version - 1:
                self.folds.drop_state(tenant, change.incident_id)
                continue
            try:
                data = decode_data(change.type, change.data)
                after = _evolved(state, change.incident_id, [(change.version, change.occurred_at, data)])
            except (KeyError, msgspec.DecodeError, ValueError):  # (a type or a stream this version does not know)
                self.folds.drop_state(tenant, change.incident_id)
                continue
            assert after is not None
            self.folds.keep(tenant, change.incident_id, state=after)  # (written to elsewhere: likely here next)
        for incident_id, version in too_large:  # (named, not carried: what was held is behind)
            held = self.folds.peek(tenant, incident_id)
            if held is not None and held.state is not None and held.state.version < version:
                self.folds.drop_state(tenant, incident_id)

    async def replay(self, tenant: str, earlier: Replayed) -> Done:
        """The result of an earlier request, rebuilt from the (immutable) events it appended."""
        if earlier.first_position is None or earlier.last_position is None:  # (a key used by a configuration write)
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        events = await self.store.read_positions(tenant, earlier.first_position, earlier.last_position)
        assert earlier.incident_id is not None and events
        incident = await stored_state(self.store, tenant, earlier.incident_id, upto=events[-1].version or 0)
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


def _facts(after: Incident) -> StreamFacts:
    """What the stream table keeps of the incident after the append."""
    return StreamFacts(
        status=str(after.status),
        severity=str(after.severity),
        scenario=after.scenario,
        channel=str(after.channel),
        dedup_key=after.dedup_key,
        detected_at=after.detected_at,
    )


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
