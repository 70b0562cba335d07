"""The SLA notices already recorded (`sla_notices`): the breach watch's claims, one per notice.

A notice's key (incident, metric, kind, due time) is inserted in the same transaction as its
`sla_notice` event, so two watchers can never both record it (see ledger/workers/breach_watch.py).
Which notices are due is a question about the views: projections/view_queries.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

CLAIM_NOTICE = """
INSERT INTO sla_notices (tenant_id, incident_id, metric, kind, due_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
RETURNING 1
"""


async def claim_notice(
    conn: asyncpg.Connection, tenant: str, incident_id: uuid.UUID, metric: str, kind: str, due_at: datetime
) -> bool:
    """Claim the notice in the caller's transaction; False when it was recorded already."""
    return await conn.fetchval(CLAIM_NOTICE, tenant, incident_id, metric, kind, due_at) is not None
