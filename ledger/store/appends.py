"""One append: the `ledger_append` call made of new events, and what it answers.

`EventStore.append` (ledger/store/events.py) sends the call, alone or batched by group commit;
this module builds it (ids, encoded data, chain digests) and reads its outcome row back into the
events as the table now holds them, or into the outcome that appended nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import msgspec

from ledger.domain.errors import IdempotencyKeyReused, NotFound
from ledger.store.group_commit import AppendCall
from ledger.store.idempotency import Idempotency, Replayed
from ledger.store.ids import new_id
from schemas.events import DATA_DECODERS, Event, EventData, NewEvent, body_digest, data_dict, type_of

_json = msgspec.json.Encoder()


@dataclass(frozen=True)
class StreamFacts:
    """What the stream table knows of an incident besides its events (kept by ledger_append)."""

    status: str
    severity: str
    scenario: str | None
    channel: str
    dedup_key: str | None
    detected_at: datetime


@dataclass(frozen=True)
class Appended:
    events: list[Event]
    version: int | None
    status_code: int


class Missed(msgspec.Struct, frozen=True, array_like=True):
    """An event a caller had not seen when it decided: what folding the incident needs of it."""

    version: int
    type: str
    occurred_at: datetime
    data: msgspec.Raw


_missed = msgspec.json.Decoder(list[Missed])


@dataclass(frozen=True)
class Conflict:
    """The stream is no longer at the expected version. `missed`: the stream's events after the
    expected version, oldest first (None when the stream is not ahead of it)."""

    current_version: int
    missed: tuple[tuple[int, datetime, EventData], ...] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DedupHit:
    """An open incident already carries the dedup key."""

    incident_id: uuid.UUID


AppendResult = Appended | Replayed | Conflict | DedupHit


def _decode_missed(raw: str | None) -> tuple[tuple[int, datetime, EventData], ...] | None:
    if raw is None:
        return None
    return tuple(
        (m.version, m.occurred_at.astimezone(UTC), DATA_DECODERS[m.type].decode(m.data)) for m in _missed.decode(raw)
    )


def append_call(
    tenant: str,
    incident_id: uuid.UUID | None,
    expected_version: int,
    new_events: Sequence[NewEvent],
    recorded_by: str,
    actor_verified: bool,
    idempotency: Idempotency | None,
    facts: StreamFacts | None,
) -> AppendCall:
    """The `ledger_append` call for these events: their ids, encoded data and chain digests."""
    ids = [new_id() for _ in new_events]  # (time-ordered: see ledger/store/ids.py)
    types = [type_of(e.data) for e in new_events]
    datas = [data_dict(e.data) for e in new_events]
    actor = new_events[0].actor  # (one actor per append: every command is done by one person or integration)
    digests = [
        body_digest(
            event_id=ids[i],
            tenant_id=tenant,
            incident_id=incident_id,
            version=None if incident_id is None else expected_version + i + 1,
            event_type=types[i],
            occurred_at=e.occurred_at,
            actor=actor,
            recorded_by=recorded_by,
            data=datas[i],
            actor_verified=actor_verified,
        )
        for i, e in enumerate(new_events)
    ]
    return AppendCall(
        tenant=tenant,
        incident_id=incident_id,
        expected_version=expected_version,
        ids=ids,
        types=types,
        occurred_at=[e.occurred_at for e in new_events],
        data=[_json.encode(d).decode() for d in datas],
        digests=digests,
        actor=actor,
        actor_verified=actor_verified,
        recorded_by=recorded_by,
        idempotency_key=idempotency.key if idempotency else None,
        request_hash=idempotency.request_hash if idempotency else None,
        status_code=idempotency.status_code if idempotency else 201,
        status=facts.status if facts else None,
        severity=facts.severity if facts else None,
        scenario=facts.scenario if facts else None,
        channel=facts.channel if facts else None,
        dedup_key=facts.dedup_key if facts else None,
        detected_at=facts.detected_at if facts else None,
    )


def appended_events(call: AppendCall, new_events: Sequence[NewEvent], row: asyncpg.Record) -> list[Event]:
    """The events as the table holds them now that `row` says where they went."""
    incident_id = call.incident_id
    return [
        Event(
            id=call.ids[i],
            tenant_id=call.tenant,
            incident_id=incident_id,
            version=None if incident_id is None else call.expected_version + i + 1,
            position=row["first_position"] + i,
            occurred_at=e.occurred_at.astimezone(UTC),  # as the table gives it back
            recorded_at=row["recorded_at"],
            actor=call.actor,
            recorded_by=call.recorded_by,
            data=e.data,
            prev_hash=row["prev_hashes"][i],
            hash=row["hashes"][i],
            actor_verified=call.actor_verified,
        )
        for i, e in enumerate(new_events)
    ]


def outcome(row: asyncpg.Record, tenant: str, incident_id: uuid.UUID | None) -> AppendResult:
    """What an append that appended nothing answers (an error for the outcomes that are one)."""
    match row["outcome"]:
        case "replayed":
            return Replayed(row["incident_id"], row["first_position"], row["last_position"], row["status_code"])
        case "key_reused":
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        case "conflict" | "exists":
            return Conflict(row["version"], _decode_missed(row["missed"]))
        case "dedup":
            return DedupHit(row["incident_id"])
        case "missing":
            raise NotFound(f"incident {incident_id} not found")
        case "no_tenant":
            raise NotFound(f"tenant {tenant} not found")
    raise RuntimeError(f"unexpected append outcome {row['outcome']!r}")  # pragma: no cover
