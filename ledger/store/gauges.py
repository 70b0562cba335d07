"""What `/metrics` reports from the database: the same answer whichever process is scraped."""

from __future__ import annotations

import asyncpg

from ledger.metrics import DatabaseFigures

PROJECTION_LAG = """
SELECT p.projection, sum(greatest(t.head_position - p.position, 0))::bigint AS lag
  FROM projection_checkpoints p JOIN tenants t ON t.id = p.tenant_id
 GROUP BY p.projection
"""
# Events past each enabled subscription's cursor (an upper bound: type filters may skip some).
WEBHOOK_BACKLOG = """
SELECT coalesce(sum(greatest(t.head_position - s.next_position + 1, 0)), 0)::bigint AS backlog,
       count(*) FILTER (WHERE s.failing_since IS NOT NULL)::bigint AS failing,
       (SELECT count(*) FROM webhook_subscriptions d WHERE NOT d.enabled)::bigint AS disabled
  FROM webhook_subscriptions s JOIN tenants t ON t.id = s.tenant_id
 WHERE s.enabled
"""
SLA_NOTICES = "SELECT kind, count(*)::bigint AS n FROM sla_notices GROUP BY kind"


async def database_figures(pool: asyncpg.Pool) -> DatabaseFigures:
    """Projection lag, webhook backlog and SLA notice counts over all tenants (aggregates only).
    Waits at most 2 s for a connection (TimeoutError)."""
    async with pool.acquire(timeout=2) as conn:
        lag = {row["projection"]: row["lag"] for row in await conn.fetch(PROJECTION_LAG)}
        hooks = await conn.fetchrow(WEBHOOK_BACKLOG)
        notices = {row["kind"]: row["n"] for row in await conn.fetch(SLA_NOTICES)}
    return DatabaseFigures(lag, hooks["backlog"], hooks["failing"], hooks["disabled"], notices)
