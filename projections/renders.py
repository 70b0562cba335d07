"""Stored events → the API's EventOut: shared by the HTTP routes, the live feed and webhook deliveries."""

from __future__ import annotations

from schemas.api import EventOut
from schemas.events import Event, data_dict


def event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        incident_id=event.incident_id,
        type=event.type,
        version=event.version,
        position=event.position,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        actor=event.actor,
        actor_verified=bool(event.actor_verified),  # (None: recorded before personal keys: not verified)
        recorded_by=event.recorded_by,
        data=data_dict(event.data),
        prev_hash=event.prev_hash,
        hash=event.hash,
    )
