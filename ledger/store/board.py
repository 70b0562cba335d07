"""What the crisis room's board reads besides the incidents themselves: each incident's latest
reach, and the tenant's feed head (the live board follows the feed from there)."""

from __future__ import annotations

import uuid

import asyncpg

# The reach a listening tool last reported for each incident: the detection's, or a later
# signal's. (The rules do not fold reach into the incident: it is a fact about the audience, not
# the response; only the board shows it.)
LATEST_REACH = """
SELECT DISTINCT ON (incident_id) incident_id, (data->>'reach')::bigint AS reach
  FROM events
 WHERE tenant_id = $1 AND incident_id = ANY($2::uuid[])
   AND type IN ('detected', 'signal_received') AND data->>'reach' IS NOT NULL
 ORDER BY incident_id, version DESC
"""
FEED_HEAD = "SELECT head_position FROM tenants WHERE id = $1"


async def latest_reach(pool: asyncpg.Pool, tenant: str, incident_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not incident_ids:
        return {}
    rows = await pool.fetch(LATEST_REACH, tenant, incident_ids)
    return {row["incident_id"]: row["reach"] for row in rows}


async def feed_head(pool: asyncpg.Pool, tenant: str) -> int:
    """The tenant's last feed position (0 before its first event)."""
    return int(await pool.fetchval(FEED_HEAD, tenant) or 0)
