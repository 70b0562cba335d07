"""The crisis room's board: the tenant's open incidents, most urgent first, with what a responder
needs at a glance (the four SLA clocks, reach and a suggested escalation, the roles nobody holds)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ledger.domain.rules import Status
from ledger.service.incident_reads import IncidentRead, IncidentReader, ListFilter
from ledger.store.keys import head_position
from schemas.blocks import Milestone, SlaBlock, UpdateBlock

# The board reads at most this many open incidents (pages of the list read): a tenant with more
# open at once has a bigger problem than a long board, and the render stays bounded.
MAX_OPEN = 2_000
_PAGE = 500


@dataclass(frozen=True)
class BoardRow:
    read: IncidentRead
    reach: int | None
    # The breach watch suggested raising the severity it has now (its reach passed the plan's threshold).
    escalation_suggested: bool
    breached: bool
    next_due: datetime | None  # the nearest due time of a clock still running

    @property
    def order(self) -> tuple[int, float, float]:
        """Breached first; then the nearest due; nothing due last; the oldest first on a tie."""
        due = self.next_due.timestamp() if self.next_due is not None else float("inf")
        return (0 if self.breached else 1, due, self.read.incident.detected_at.timestamp())

    @property
    def rank(self) -> str:
        """`order` as the live board's script compares it when it places one row (crisis-room.js
        `place`): in epoch milliseconds, "Infinity" when nothing is due."""
        breached, due, detected = self.order
        return f"{breached} {'Infinity' if due == float('inf') else round(due * 1000)} {round(detected * 1000)}"


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    feed_head: int  # the feed position the board was read at: the live view follows on from it


def _running(clock: Milestone | UpdateBlock | None) -> datetime | None:
    if clock is None or clock.status not in ("pending", "breached"):
        return None
    return clock.due_at


def urgency(sla: SlaBlock, now: datetime) -> tuple[bool, datetime | None]:
    """(breached, nearest due): a clock is breached once its status says so or its due time has
    passed; the nearest due is that of the clocks still to be met."""
    clocks = (sla.acknowledge, sla.first_response, sla.update, sla.resolve)
    breached = any(
        c is not None
        and (c.status == "breached" or (c.status == "pending" and c.due_at is not None and c.due_at <= now))
        for c in clocks
    )
    dues = [due for due in (_running(c) for c in clocks) if due is not None and due > now]
    return breached, min(dues) if dues else None


def _row(read: IncidentRead, now: datetime) -> BoardRow:
    breached, next_due = urgency(read.blocks.sla, now)
    incident = read.incident
    suggested = any(severity == incident.severity for severity, _ in incident.escalations)
    return BoardRow(read, incident.reach.latest, suggested, breached, next_due)


async def open_board(queries: IncidentReader, tenant: str, now: datetime) -> Board:
    """The open incidents, breached first, then by the nearest due time."""
    head = await head_position(queries.store.pool, tenant)  # (before the read: no event is missed)
    reads: list[IncidentRead] = []
    cursor: int | None = None
    while len(reads) < MAX_OPEN:
        page, more = await queries.list(tenant, ListFilter(status="open"), cursor, _PAGE, now)
        reads += page
        if more is None:
            break
        cursor = int(more)
    return Board(sorted((_row(read, now) for read in reads), key=lambda row: row.order), head)


async def board_row(queries: IncidentReader, tenant: str, incident_id: uuid.UUID, now: datetime) -> BoardRow | None:
    """One incident's row as the board shows it now (None once it is resolved: off the board);
    NotFound for an id the tenant does not have, as the API answers it."""
    read = await queries.read(tenant, incident_id, now)
    return _row(read, now) if read.incident.status == Status.OPEN else None
