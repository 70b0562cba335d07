"""Turns on one incident: commands on one incident in this process decide one after the other."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wanted: int = 0  # commands holding or waiting for the lock


class IncidentLocks:
    """Commands on one incident take turns in this process, so each decides on the state the one
    before it appended (held in the fold cache).

    Without turns, concurrent commands on one incident all decide on the same version and leave
    in the same group-commit batch, where all but the first conflict and decide again, batch
    after batch, and many give up with 409 after the shell's last attempt. A turn is taken only
    by commands on an existing incident and held for its decision and its append; other
    incidents never wait. An entry lives only while a command holds or waits for it.
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
