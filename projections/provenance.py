"""Statement provenance: an incident's public replies with who drafted, approved and sent them, and when."""

from __future__ import annotations

from collections.abc import Iterable

from schemas.api import StatementOut
from schemas.events import Event, EventData, Replied, Visibility


def is_public_statement(data: EventData) -> bool:
    """A public reply: what an incident's statements are (the count a fold keeps of them too)."""
    return type(data) is Replied and data.visibility == Visibility.PUBLIC  # (exact type: see rules.evolve)


def public_statements(events: Iterable[Event]) -> list[StatementOut]:
    """What had been said publicly, in recorded order (a fold over the incident's events)."""
    return [
        StatementOut(
            event_id=e.id,
            version=e.version or 0,
            channel=str(e.data.channel),
            text=e.data.text,
            text_sha256=e.data.text_sha256,
            url=e.data.url,
            in_reply_to=e.data.in_reply_to,
            drafted_by=e.data.drafted_by,
            approved_by=e.data.approved_by,
            sent_by=e.actor,
            sent_at=e.occurred_at,
            recorded_at=e.recorded_at,
            recorded_by=e.recorded_by,
        )
        for e in events
        if isinstance(e.data, Replied) and is_public_statement(e.data)
    ]
