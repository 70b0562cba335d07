"""What one `NOTIFY ledger_events` carries: a tenant's committed events, whole while they fit.

A notification holds at most PAYLOAD_BYTES (PostgreSQL refuses 8000 or more). An incident's event
travels whole, so that other processes can fold it onto the states they hold and a live feed can
send it without reading the table; one too large to carry is named by incident and version only;
an event of no incident (a policy change) by its type. The notifier (ledger/feed/notifier.py)
sends and reads them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import msgspec

from schemas.events import Event, data_dict, decode_data

# PostgreSQL refuses a payload of 8000 bytes or more; this leaves room to spare.
PAYLOAD_BYTES: Final = 7_600


class Change(msgspec.Struct, frozen=True, array_like=True):
    """One committed event of an incident: first what a state cache folds, then the rest of it,
    which a live feed sends. (The rest is None from a process that sent only the first part.)"""

    incident_id: uuid.UUID
    version: int
    type: str
    occurred_at: datetime
    data: msgspec.Raw  # (the event's data as stored: the receiver decodes it for its type)
    id: uuid.UUID | None = None
    position: int | None = None
    recorded_at: datetime | None = None
    actor: str | None = None
    recorded_by: str | None = None
    prev_hash: str | None = None
    hash: str | None = None
    actor_verified: bool | None = None

    @classmethod
    def of(cls, event: Event, data: msgspec.Raw) -> Change:
        """`event` whole, its data given as encoded for the notification."""
        assert event.incident_id is not None and event.version is not None
        return cls(
            incident_id=event.incident_id,
            version=event.version,
            type=event.type,
            occurred_at=event.occurred_at,
            data=data,
            id=event.id,
            position=event.position,
            recorded_at=event.recorded_at,
            actor=event.actor,
            recorded_by=event.recorded_by,
            prev_hash=event.prev_hash,
            hash=event.hash,
            actor_verified=event.actor_verified,
        )

    def event(self, tenant: str) -> Event | None:
        """The whole event, if it came whole and its type is known here."""
        if (
            self.id is None
            or self.position is None
            or self.recorded_at is None
            or self.actor is None
            or self.recorded_by is None
            or self.prev_hash is None
            or self.hash is None
        ):
            return None
        try:
            data = decode_data(self.type, self.data)
        except (KeyError, msgspec.DecodeError, ValueError):
            return None
        return Event(
            id=self.id,
            tenant_id=tenant,
            incident_id=self.incident_id,
            version=self.version,
            position=self.position,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            actor=self.actor,
            recorded_by=self.recorded_by,
            data=data,
            prev_hash=self.prev_hash,
            hash=self.hash,
            actor_verified=self.actor_verified,
        )


class Payload(msgspec.Struct, frozen=True, array_like=True):
    """One notification: the sending process, the tenant, its changes, (incident, version) of the
    events too large to carry, and the types of its events that are no incident's (a policy change)."""

    origin: str
    tenant: str
    changes: list[Change]
    too_large: list[tuple[uuid.UUID, int]]
    tenant_events: list[str]


_encode = msgspec.json.Encoder().encode
decode_payload = msgspec.json.Decoder(Payload).decode


def data_fits(event: Event) -> bool:
    """Whether `event`'s data alone fits in a notification: one whose data does not is never
    carried whole (its receivers read it from the table)."""
    return len(_encode(data_dict(event.data))) <= PAYLOAD_BYTES


def payloads(origin: str, tenant: str, events: Iterable[Event], limit: int = PAYLOAD_BYTES) -> list[str]:
    """One tenant's committed `events` (in commit order) as payloads of at most `limit` bytes."""
    out: list[str] = []
    changes: list[Change] = []
    too_large: list[tuple[uuid.UUID, int]] = []
    tenant_events: list[str] = []
    empty = len(_encode(Payload(origin, tenant, [], [], [])))
    size = empty
    for event in events:
        if event.incident_id is None or event.version is None:
            change: Change | None = None
            item = len(event.type) + 3
        else:
            data = msgspec.Raw(_encode(data_dict(event.data)))
            change = Change.of(event, data)
            item = len(_encode(change)) + 1
        if size + item > limit and (changes or too_large or tenant_events):
            out.append(_encode(Payload(origin, tenant, changes, too_large, tenant_events)).decode())
            changes, too_large, tenant_events, size = [], [], [], empty
        if change is None:
            tenant_events.append(event.type)
            size += item
        elif size + item <= limit:
            changes.append(change)
            size += item
        else:
            too_large.append((change.incident_id, change.version))
            size += 50
    out.append(_encode(Payload(origin, tenant, changes, too_large, tenant_events)).decode())
    return out
