"""Where a signal goes: more of the open incident that carries its dedup key, or a new incident.

Pure, like the decider: the store says which incident is open with the key; this says what to ask.
"""

from __future__ import annotations

import uuid

from ledger.domain.commands import Detect, ReceiveSignal, Signal


def merge_or_detect(signal: Signal, open_incident: uuid.UUID | None, new_id: uuid.UUID) -> Detect | ReceiveSignal:
    """What a signal asks for: more of the open incident that carries its dedup_key, else a new
    incident (`new_id`). Which incident is open with the key is the store's to say, atomically
    (its unique index on open dedup keys); if that incident is resolved before the signal is
    appended, `decide` refuses the ReceiveSignal and the signal is routed again."""
    if open_incident is not None:
        return ReceiveSignal(
            incident_id=open_incident,
            actor=signal.actor,
            occurred_at=signal.occurred_at,
            source_url=signal.source_url,
            reach=signal.reach,
            summary=signal.summary,
        )
    return Detect(
        incident_id=new_id,
        actor=signal.actor,
        occurred_at=signal.occurred_at,
        title=signal.title,
        severity=signal.severity,
        channel=signal.channel,
        scenario=signal.scenario,
        source_url=signal.source_url,
        summary=signal.summary,
        reach=signal.reach,
        dedup_key=signal.dedup_key,
    )
