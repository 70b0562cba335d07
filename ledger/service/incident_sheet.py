"""Everything the crisis room's incident page shows, read at one instant: the incident with its SLA
clocks, coverage and statements, its whole timeline, the latest reach, and the plan's roles and
holding statements (the choices its forms offer)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.service.incident_reads import IncidentRead, IncidentReader
from schemas.events import Event


@dataclass(frozen=True)
class HoldingStatement:
    name: str
    text: str
    id: str | None = None  # what a reply names as its `template_id` (None: the plan gives no id)


@dataclass(frozen=True)
class IncidentSheet:
    read: IncidentRead
    timeline: list[Event]
    reach: int | None
    roles: list[str]  # the plan in force's role catalogue: what Assign offers
    holding_statements: list[HoldingStatement]


def holding_statements(policy: Any) -> list[HoldingStatement]:
    """The plan's holding statements, if this version of the plan has them (older plans do not),
    as (name, text) whatever shape an entry has: a text, or a record with a text and a name."""
    found: list[HoldingStatement] = []
    raw = getattr(policy, "holding_statements", None) or []
    items = raw.items() if isinstance(raw, dict) else enumerate(raw)
    for key, item in items:
        text = item if isinstance(item, str) else _field(item, "text")
        if not text:
            continue
        name = _field(item, "name") or _field(item, "title") or _field(item, "id") or _field(item, "scenario")
        if not name:
            name = key if isinstance(key, str) else text[:48]
        about = [str(v) for v in (_field(item, "scenario"), _field(item, "language")) if v and v != name]
        ident = _field(item, "id")
        label = f"{name} ({', '.join(about)})" if about else str(name)
        found.append(HoldingStatement(label, str(text), str(ident) if ident else None))
    return found


def _field(item: Any, name: str) -> Any:
    if isinstance(item, dict):
        return item.get(name)
    if isinstance(item, str):
        return None  # (a bare text has no fields; its attributes are str's methods)
    return getattr(item, name, None)


async def incident_sheet(queries: IncidentReader, tenant: str, incident_id: uuid.UUID, now: datetime) -> IncidentSheet:
    """The page's incident at `now` (NotFound for another tenant's id, as in the API)."""
    read = await queries.read(tenant, incident_id, now)
    # (only what the read folded: a form carries the read's version, and the page shows that state)
    timeline = await queries.store.read_stream(tenant, incident_id, 0, read.incident.version)
    plan = await queries.policies.current(tenant)
    return IncidentSheet(read, timeline, read.incident.reach.latest, list(plan.roles), holding_statements(plan))
