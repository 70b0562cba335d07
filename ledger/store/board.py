"""What the crisis room's board reads besides the incidents themselves: the tenant's feed head (the
live board follows the feed from there). Each incident's reach is folded with it (`Incident.reach`)."""

from __future__ import annotations

import asyncpg

FEED_HEAD = "SELECT head_position FROM tenants WHERE id = $1"


async def feed_head(pool: asyncpg.Pool, tenant: str) -> int:
    """The tenant's last feed position (0 before its first event)."""
    return int(await pool.fetchval(FEED_HEAD, tenant) or 0)
