"""The one per-process cache of incidents' folds, shared by the write side
(ledger.service.command_runner), the incident reads (ledger.service.incident_reads) and the
projection runner (projections.runner). One instance per app, made in its lifespan.

Per (tenant, incident) it holds up to three folds of the incident's stream, each at its own
version: the decider's state (`Incident`), the view fold (`Folded`: the SLA and coverage folds
with the SLA render's replay, the decider's state and the count of public statements), and the
latest public statements (`Statements`). Every user relies on these, and keeps them:

1. A fold at version v is the fold of the incident's events 1..v. Only folds of committed events
   are held: read from the events table, made by an append that committed, or learned from
   another process's notification of its commit. Never a read as of a past instant (`as_of`),
   never a state before its append committed.
2. Events never change, so a held fold is never wrong, only behind: it is extended with the
   events after v, never recomputed.
3. A later fold is never replaced by an earlier one (a slower reader or writer may come back
   with one); each part is kept or replaced on its own.
4. A read always asks the events table for the events after the version of the view it holds,
   so it shows every write committed before it, whichever process made it.
5. The write side trusts a held state only conditionally: its append is conditional on the
   state's version, so a state that is behind costs a conflict (which answers the events
   missed), and a refusal decided on a held state is decided again on the stored stream.
6. Bounded by bytes, as estimated below from each fold's events and text: the least recently
   used incidents go first; an incident heavier than the whole bound is not held.

Lost on restart at no cost but a first read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from ledger.domain.rules import Incident
from ledger.lru import Lru
from projections.incident_view import Folded
from schemas.api import StatementOut

DEFAULT_MB = 64

# What a held incident weighs, estimated (tracemalloc, incidents of short replies, notes and
# assignments, the events they were folded from dropped): the estimate follows what grows.
ENTRY_BYTES = 300  # the key, the LRU's node, the entry itself
STATE_BYTES = 1_500  # an Incident: its fields and assignments; it does not grow with events
VIEW_BYTES = 3_000  # the SLA and coverage folds of a detection, with the SLA replay
VIEW_BYTES_PER_EVENT = 700  # timeline facts, holds, update gaps
STATEMENT_BYTES = 550  # a public statement but for its text


@dataclass(frozen=True)
class Statements:
    """The incident's latest public statements (projections.provenance) up to `version`: the
    few an incident carries (ledger.service.incident_reads.LATEST_STATEMENTS), oldest first, of
    `count` in all."""

    version: int
    count: int
    items: tuple[StatementOut, ...]


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


P = TypeVar("P", bound=_Versioned)


@dataclass(frozen=True)
class IncidentFolds:
    """What is held of one incident: each part a fold of its events 1..part.version, or None."""

    state: Incident | None = None
    view: Folded | None = None
    statements: Statements | None = None

    def upto(self) -> int:
        """The version up to which both parts a single read needs are held (0: one is not)."""
        return min(part.version if part is not None else 0 for part in (self.view, self.statements))

    def weight(self) -> int:
        """Bytes, estimated (see the constants above)."""
        weight = ENTRY_BYTES
        if self.state is not None:
            weight += STATE_BYTES
        if self.view is not None:
            weight += STATE_BYTES + VIEW_BYTES + VIEW_BYTES_PER_EVENT * self.view.version
        if self.statements is not None:
            weight += sum(STATEMENT_BYTES + len(s.text) for s in self.statements.items)
        return weight


def _later(held: P | None, new: P | None) -> P | None:
    return held if new is None or (held is not None and held.version > new.version) else new


class FoldCache:
    """The folds held of recently used incidents (the invariants: this module's docstring)."""

    def __init__(self, max_bytes: int = DEFAULT_MB * 2**20) -> None:
        self._held: Lru[tuple[str, uuid.UUID], IncidentFolds] = Lru(max_bytes)

    def __len__(self) -> int:
        return len(self._held)

    @property
    def bytes(self) -> int:
        """The estimated weight of everything held."""
        return self._held.weight

    def get(self, tenant: str, incident_id: uuid.UUID) -> IncidentFolds | None:
        """What is held of the incident (now the most recently used), or None."""
        return self._held.get((tenant, incident_id))

    def peek(self, tenant: str, incident_id: uuid.UUID) -> IncidentFolds | None:
        """`get`, its recency unchanged."""
        return self._held.peek((tenant, incident_id))

    def keep(
        self,
        tenant: str,
        incident_id: uuid.UUID,
        *,
        state: Incident | None = None,
        view: Folded | None = None,
        statements: Statements | None = None,
    ) -> None:
        """Hold the parts given, each unless the part held is a later fold (invariant 3)."""
        key = (tenant, incident_id)
        held = self._held.peek(key) or IncidentFolds()
        folds = IncidentFolds(
            state=_later(held.state, state),
            view=_later(held.view, view),
            statements=_later(held.statements, statements),
        )
        self._held.put(key, folds, weight=folds.weight())

    def drop_state(self, tenant: str, incident_id: uuid.UUID) -> None:
        """Stop offering the write side a state it should not guess from (it missed events);
        the incident's other folds stay."""
        key = (tenant, incident_id)
        held = self._held.peek(key)
        if held is None or held.state is None:
            return
        if held.view is None and held.statements is None:
            self._held.pop(key)
        else:
            folds = replace(held, state=None)
            self._held.put(key, folds, weight=folds.weight())
